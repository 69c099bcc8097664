/**
 * Apache Superset as a local process of the project: its venv (scripts/setup-superset.sh, cached
 * outside the checkout), its metadata database, its admin login, and the web server (gunicorn,
 * detached, on 127.0.0.1; a pid file under OLIST_HOME/superset lets `olist bi stop` end it).
 */
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { openSync, closeSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { z } from 'zod';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { projectPath } from '../paths.ts';

const execFileAsync = promisify(execFile);

const envSchema = z.object({
  /** Port of the Superset web server (127.0.0.1 only). */
  OLIST_BI_PORT: z.coerce.number().int().min(1024).max(65535).default(8088),
  /** Admin login of Superset; the password is generated into OLIST_HOME/superset/admin-password unless given. */
  OLIST_BI_USER: z.string().regex(/^[a-z][a-z0-9_]*$/).default('admin'),
  OLIST_BI_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional(),
  /** Superset's metadata database; default: database `superset` on the warehouse's server. */
  OLIST_SUPERSET_METADATA_URL: z.string().regex(/^postgres(ql)?:\/\//).optional(),
});

export interface BiSettings {
  port: number;
  user: string;
  password: string;
  secretKey: string;
  /** OLIST_HOME/superset: pid file, log, generated secrets, the built bundle. */
  dir: string;
  metadataUrl: string;
  url: string;
}

async function secretFile(file: string, given: string | undefined, bytes: number): Promise<string> {
  if (given) return given;
  const existing = await fs.readFile(file, 'utf8').then((s) => s.trim(), () => '');
  if (existing) return existing;
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, `${randomBytes(bytes).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  return (await fs.readFile(file, 'utf8')).trim();
}

/** Superset's settings for this warehouse (server URL: the warehouse's admin connection). */
export async function biSettings(config: Config, warehouseUrl: string, env: NodeJS.ProcessEnv = process.env): Promise<BiSettings> {
  const e = envSchema.parse(env);
  const dir = path.join(config.home, 'superset');
  const metadata = new URL(warehouseUrl);
  metadata.pathname = '/superset';
  return {
    port: e.OLIST_BI_PORT,
    user: e.OLIST_BI_USER,
    password: await secretFile(path.join(dir, 'admin-password'), e.OLIST_BI_PASSWORD, 12),
    secretKey: await secretFile(path.join(dir, 'secret-key'), undefined, 42),
    dir,
    metadataUrl: e.OLIST_SUPERSET_METADATA_URL ?? metadata.toString(),
    url: `http://127.0.0.1:${e.OLIST_BI_PORT}`,
  };
}

/** The Superset venv (installed or found in the cache by scripts/setup-superset.sh). */
export async function supersetVenv(log: Logger): Promise<string> {
  const started = performance.now();
  const child = spawn('bash', [projectPath('scripts', 'setup-superset.sh')], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += String(d)));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`scripts/setup-superset.sh failed (exit ${code})`);
  const venv = out.trim().split('\n').at(-1)!;
  log.info({ venv, ms: Math.round(performance.now() - started) }, 'superset venv ready');
  return venv;
}

function supersetEnv(s: BiSettings): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: 'C.UTF-8',
    SUPERSET_CONFIG_PATH: projectPath('bi', 'superset_config.py'),
    SUPERSET_SECRET_KEY: s.secretKey,
    OLIST_SUPERSET_METADATA_URL: s.metadataUrl.replace(/^postgres(ql)?:/, 'postgresql+psycopg2:'),
    FLASK_APP: 'superset.app:create_app()',
    PYTHONUNBUFFERED: '1',
  };
}

async function superset(venv: string, s: BiSettings, args: string[], log: Logger): Promise<string> {
  const started = performance.now();
  try {
    const { stdout, stderr } = await execFileAsync(path.join(venv, 'bin', 'superset'), args, { env: supersetEnv(s), maxBuffer: 64 * 1024 * 1024 });
    log.info({ args: args[0] === 'fab' ? args.slice(0, 2) : args, ms: Math.round(performance.now() - started) }, 'superset command');
    return stdout + stderr;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    const tail = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`superset ${args[0]} ${args[1] ?? ''} failed:\n${tail || e.message}`);
  }
}

/** Creates the metadata database when missing (connected to the same server's `postgres` database). */
export async function ensureMetadataDatabase(s: BiSettings): Promise<void> {
  const name = decodeURIComponent(new URL(s.metadataUrl).pathname.slice(1));
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`metadata database name '${name}' must be a plain identifier`);
  const server = new URL(s.metadataUrl);
  server.pathname = '/postgres';
  const client = new pg.Client({ connectionString: server.toString(), application_name: 'olist' });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (!rowCount) await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
}

/** Whether the metadata database already has its schema, the roles (`init`) and our admin. */
async function metadataReady(s: BiSettings): Promise<boolean> {
  const client = new pg.Client({ connectionString: s.metadataUrl, application_name: 'olist' });
  await client.connect();
  try {
    const { rows } = await client.query<{ ready: boolean }>(
      `select to_regclass('public.ab_user') is not null and to_regclass('public.ab_permission_view_role') is not null as ready`,
    );
    if (!rows[0]!.ready) return false;
    const admin = await client.query(`select 1 from ab_user u join ab_user_role ur on ur.user_id = u.id join ab_role r on r.id = ur.role_id where u.username = $1 and r.name = 'Admin'`, [s.user]);
    const perms = await client.query<{ n: number }>(`select count(*)::int as n from ab_permission_view_role`);
    return Boolean(admin.rowCount) && perms.rows[0]!.n > 0;
  } finally {
    await client.end();
  }
}

/** The metadata's migration version, or null before the first `db upgrade`. */
async function alembicVersion(s: BiSettings): Promise<string | null> {
  const client = new pg.Client({ connectionString: s.metadataUrl, application_name: 'olist' });
  await client.connect();
  try {
    const { rows } = await client.query<{ t: string | null }>(`select to_regclass('public.alembic_version')::text as t`);
    if (!rows[0]!.t) return null;
    return (await client.query<{ version_num: string }>('select version_num from alembic_version')).rows[0]?.version_num ?? null;
  } finally {
    await client.end();
  }
}

/**
 * Brings the metadata database up to date: schema migrations (`superset db upgrade`), then on
 * first use the admin login and the built-in roles (`fab create-admin`, `init`); later the admin's
 * password is reset, so OLIST_BI_PASSWORD can change it. Each Superset command loads the whole app
 * (5-15 s), so a stamp of what was done (venv, metadata version, password hash) skips it all when
 * nothing changed.
 */
export async function prepareMetadata(venv: string, s: BiSettings, log: Logger): Promise<void> {
  const stampFile = path.join(s.dir, 'metadata.stamp');
  const stamp = async () =>
    JSON.stringify({ venv, metadata: s.metadataUrl, version: await alembicVersion(s), user: s.user, password: createHash('sha256').update(s.password).digest('hex') });
  if ((await fs.readFile(stampFile, 'utf8').catch(() => '')) === (await stamp()) && (await metadataReady(s))) {
    log.info('superset metadata up to date');
    return;
  }
  await superset(venv, s, ['db', 'upgrade'], log);
  if (!(await metadataReady(s))) {
    await superset(venv, s, ['fab', 'create-admin', '--username', s.user, '--firstname', 'Olist', '--lastname', 'Admin', '--email', `${s.user}@localhost`, '--password', s.password], log);
    await superset(venv, s, ['init'], log);
  } else {
    await superset(venv, s, ['fab', 'reset-password', '--username', s.user, '--password', s.password], log);
  }
  await fs.mkdir(s.dir, { recursive: true });
  await fs.writeFile(stampFile, await stamp(), { mode: 0o600 });
}

const pidFile = (s: BiSettings) => path.join(s.dir, 'gunicorn.pid');
export const serverLog = (s: BiSettings) => path.join(s.dir, 'superset.log');

async function runningPid(s: BiSettings): Promise<number | undefined> {
  const pid = Number((await fs.readFile(pidFile(s), 'utf8').catch(() => '')).trim());
  return pid && !(await processEnded(pid)) ? pid : undefined;
}

async function healthy(s: BiSettings): Promise<boolean> {
  try {
    const res = await fetch(`${s.url}/health`, { signal: AbortSignal.timeout(2_000) });
    return res.ok && (await res.text()).trim() === 'OK';
  } catch {
    return false;
  }
}

/** What the running server was started with: a different one (venv, metadata, port, config) restarts it. */
async function fingerprint(venv: string, s: BiSettings): Promise<string> {
  const config = await fs.readFile(projectPath('bi', 'superset_config.py'), 'utf8');
  return createHash('sha256').update(JSON.stringify([venv, s.metadataUrl, s.port, s.secretKey, config])).digest('hex');
}

/**
 * Starts the web server (one gunicorn worker with threads: about 600 MB) detached from this
 * process and waits until /health answers (at most `timeoutMs`). A server of ours already running
 * with the same settings is kept (a re-run only re-imports the dashboards); with other settings
 * it is restarted.
 */
export async function startServer(venv: string, s: BiSettings, log: Logger, timeoutMs = 180_000): Promise<{ pid: number; reused: boolean }> {
  const want = await fingerprint(venv, s);
  const stampFile = path.join(s.dir, 'server.fingerprint');
  const running = await runningPid(s);
  if (running && (await fs.readFile(stampFile, 'utf8').catch(() => '')) === want && (await healthy(s))) {
    log.info({ pid: running, url: s.url }, 'superset server already running');
    return { pid: running, reused: true };
  }
  await stopServer(s, log);
  await fs.mkdir(s.dir, { recursive: true });
  const logFd = openSync(serverLog(s), 'a');
  const child = spawn(
    path.join(venv, 'bin', 'gunicorn'),
    // --keep-alive 30: gunicorn closes an idle kept-alive connection after 2 s by default, while
    // Node's fetch keeps reusing it for 4 s, so a request sent between the two (the import, after
    // the bundle is built) met a closed socket: "fetch failed". Now the client always closes first.
    ['--workers', '1', '--worker-class', 'gthread', '--threads', '8', '--timeout', '120', '--keep-alive', '30', '--bind', `127.0.0.1:${s.port}`, '--pid', pidFile(s), '--limit-request-line', '0', 'superset.app:create_app()'],
    { env: supersetEnv(s), detached: true, stdio: ['ignore', logFd, logFd] },
  );
  closeSync(logFd);
  child.unref();
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  const deadline = Date.now() + timeoutMs;
  // ours answers: gunicorn wrote our child's pid (another server on the port would answer too)
  while (!((await runningPid(s)) === child.pid && (await healthy(s)))) {
    if (exited !== undefined) throw new Error(`Superset's server exited (code ${exited}) before answering (is port ${s.port} free? OLIST_BI_PORT); see ${serverLog(s)}`);
    if (Date.now() > deadline) throw new Error(`Superset did not answer on ${s.url}/health within ${timeoutMs / 1000} s; see ${serverLog(s)}`);
    await sleep(500);
  }
  await fs.writeFile(stampFile, want);
  log.info({ pid: child.pid, url: s.url }, 'superset server up');
  return { pid: child.pid!, reused: false };
}

/**
 * Whether a process has ended: no such pid, or a zombie (exited, not yet reaped; a container's
 * init may reap late, and a zombie still answers kill(pid, 0)).
 */
export async function processEnded(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
}

/**
 * Stops our server: SIGTERM to gunicorn's master, which stops its worker and exits; waits for the
 * master to end (SIGKILL after `timeoutMs`). Returns its pid if it ran.
 */
export async function stopServer(s: BiSettings, log: Logger, timeoutMs = 30_000): Promise<number | undefined> {
  const pid = await runningPid(s);
  if (!pid) return undefined;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  let killed = false;
  while (!(await processEnded(pid))) {
    if (!killed && Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      killed = true;
    }
    await sleep(200);
  }
  await fs.rm(pidFile(s), { force: true });
  log.info({ pid }, 'superset server stopped');
  return pid;
}

/** Zips the bundle folder with the venv's Python (zipfile keeps the one top-level folder). */
export async function zipBundle(venv: string, bundleDir: string, zipPath: string): Promise<void> {
  await fs.rm(zipPath, { force: true });
  await execFileAsync(path.join(venv, 'bin', 'python'), ['-m', 'zipfile', '-c', zipPath, path.basename(bundleDir)], { cwd: path.dirname(bundleDir) });
}

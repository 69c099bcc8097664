/**
 * `olist airflow`: a local Airflow 3 for the project's DAGs, in one command, and its clean stop.
 *
 * - metadata in PostgreSQL: an `airflow` database on the warehouse's server (the embedded one unless
 *   DATABASE_URL), or AIRFLOW__DATABASE__SQL_ALCHEMY_CONN when set;
 * - AIRFLOW_HOME = OLIST_HOME/airflow (inside the ignored working directory);
 * - LocalExecutor with a parallelism that fits a laptop (OLIST_AIRFLOW_PARALLELISM, default 4);
 * - api-server (UI) on any port, with AIRFLOW__API__BASE_URL and the execution API URL set to it
 *   (tasks reach the API through it), scheduler and dag-processor as separate processes;
 * - a printed login (simple auth manager, password kept in AIRFLOW_HOME).
 *
 * Why not `airflow standalone`: SIGTERM to it leaves its children running. Here each component is
 * started in a process group of its own, and Ctrl-C, SIGTERM or `olist airflow stop` stops every
 * group (SIGTERM, then SIGKILL after a grace period), so nothing is left behind.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import pg from 'pg';
import type { Config } from '../config.ts';
import { startEmbedded, stopEmbedded } from '../db/embedded.ts';
import { interruptReason } from '../db/interrupt.ts';
import type { Logger } from '../log.ts';
import { projectPath } from '../paths.ts';
import type { Output } from './output.ts';

/** main.ts's `action` wrapper (config, logger, output, errors mapped to exit codes). */
export type CommandAction = <A extends unknown[]>(
  fn: (env: { config: Config; log: Logger; out: Output }, ...args: A) => Promise<void>,
) => (...args: A) => Promise<void>;

const COMPONENTS = ['api-server', 'scheduler', 'dag-processor'] as const;
const USER = 'admin';
const STOP_GRACE_MS = 10_000; // then SIGKILL (well under the action wrapper's 30 s forced exit after a signal)

export interface AirflowEnv {
  home: string;
  port: number;
  url: string;
  env: Record<string, string>;
  /** The warehouse server was started by this call (stop it with Airflow). */
  startedServer: boolean;
}

function airflowHome(config: Config): string {
  return path.join(config.home, 'airflow');
}

function venvBin(name: string): string {
  return path.join(process.env.OLIST_VENV ?? projectPath('.venv'), 'bin', name);
}

/** A secret generated once per AIRFLOW_HOME (all components must share the JWT secret). */
function secret(home: string, name: string): string {
  const file = path.join(home, `.${name}`);
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

function password(home: string): { file: string; password: string } {
  const file = path.join(home, 'simple_auth_manager_passwords.json');
  if (!existsSync(file)) writeFileSync(file, JSON.stringify({ [USER]: randomBytes(9).toString('base64url') }), { mode: 0o600 });
  return { file, password: (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>)[USER]! };
}

/** The `airflow` database next to the warehouse's, created when missing. */
async function metadataUrl(warehouseUrl: string, log: Logger): Promise<string> {
  const explicit = process.env.AIRFLOW__DATABASE__SQL_ALCHEMY_CONN;
  if (explicit) return explicit;
  const client = new pg.Client({ connectionString: warehouseUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query("select 1 from pg_database where datname = 'airflow'");
    if (!rowCount) {
      await client.query('create database airflow');
      log.info({ step: 'airflow' }, 'created the airflow metadata database');
    }
  } finally {
    await client.end();
  }
  const url = new URL(warehouseUrl);
  url.pathname = '/airflow';
  return `postgresql+psycopg2://${url.toString().replace(/^postgres(ql)?:\/\//, '')}`;
}

/** Everything the Airflow processes (and an `airflow ...` command in another shell) need. */
export async function airflowEnv(config: Config, log: Logger, port: number): Promise<AirflowEnv> {
  const home = airflowHome(config);
  mkdirSync(path.join(home, 'logs'), { recursive: true });
  let warehouseUrl = config.databaseUrl;
  let startedServer = false;
  if (!warehouseUrl) {
    const s = await startEmbedded(config.embeddedDataDir, config.embeddedPort, log);
    warehouseUrl = s.url;
    startedServer = s.startedHere;
  }
  const url = `http://localhost:${port}`;
  const auth = password(home);
  const env: Record<string, string> = {
    AIRFLOW_HOME: home,
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: await metadataUrl(warehouseUrl, log),
    AIRFLOW__CORE__DAGS_FOLDER: projectPath('airflow', 'dags'),
    AIRFLOW__CORE__LOAD_EXAMPLES: 'False',
    AIRFLOW__CORE__EXECUTOR: 'LocalExecutor',
    AIRFLOW__CORE__PARALLELISM: process.env.OLIST_AIRFLOW_PARALLELISM ?? '4',
    AIRFLOW__CORE__EXECUTION_API_SERVER_URL: `${url}/execution/`,
    AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS: `${USER}:admin`,
    AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE: auth.file,
    AIRFLOW__API__BASE_URL: url,
    AIRFLOW__API__PORT: String(port),
    AIRFLOW__API__HOST: process.env.AIRFLOW__API__HOST ?? '127.0.0.1',
    AIRFLOW__API__WORKERS: '1',
    AIRFLOW__API__SECRET_KEY: secret(home, 'api_secret_key'),
    AIRFLOW__API_AUTH__JWT_SECRET: secret(home, 'jwt_secret'),
    // New DAG files show up within 30 s, not 5 min.
    AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL: process.env.AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL ?? '30',
    // The tasks' CLI: this project, this warehouse (absolute paths: tasks run from the project root).
    OLIST_PROJECT_DIR: projectPath(),
    OLIST_HOME: config.home,
    OLIST_PG_PORT: String(config.embeddedPort),
    OLIST_LANDING_DIR: config.landingDir,
    PATH: [path.dirname(venvBin('airflow')), path.dirname(process.execPath), process.env.PATH ?? ''].join(path.delimiter),
  };
  return { home, port, url, env, startedServer };
}

const pidFile = (home: string) => path.join(home, 'olist-airflow.json');

interface PidFile {
  launcher: number;
  components: { name: string; pid: number }[];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

/** SIGTERM to every process group, then SIGKILL to what is left after the grace period. */
async function stopGroups(pids: number[], log: Logger): Promise<void> {
  for (const pid of pids) killGroup(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_GRACE_MS;
  const groupAlive = (pid: number) => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  while (pids.some(groupAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  for (const pid of pids.filter(groupAlive)) {
    log.warn({ step: 'airflow', pid }, 'process group still running after the grace period: SIGKILL');
    killGroup(pid, 'SIGKILL');
  }
}

async function waitHealthy(url: string, children: ChildProcess[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (interruptReason()) return;
    const dead = children.find((c) => c.exitCode !== null || c.signalCode !== null);
    if (dead) throw new Error(`airflow ${dead.spawnargs.slice(1).join(' ')} exited (${dead.exitCode ?? dead.signalCode}) while starting; see its log`);
    try {
      const r = await fetch(`${url}/api/v2/monitor/health`, { signal: AbortSignal.timeout(5_000) });
      if (r.ok) {
        const h = (await r.json()) as { scheduler?: { status?: string } };
        if (h.scheduler?.status === 'healthy') return;
      }
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
  throw new Error(`Airflow did not become healthy at ${url} within ${timeoutMs / 1000} s`);
}

async function start(config: Config, log: Logger, out: Output, opts: { port: string }): Promise<void> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error('--port must be a TCP port');
  // The project's own installer: creates or updates .venv (a no-op, 0.1 s, when it is up to date).
  // stdout stays the command's own (--json): the installer's lines go to stderr.
  const setup = spawnSync('bash', [projectPath('scripts', 'setup-python.sh')], { stdio: ['ignore', 2, 2], timeout: 1_800_000 });
  if (setup.status !== 0) throw new Error(`scripts/setup-python.sh failed (${setup.status ?? setup.signal})`);
  if (!existsSync(venvBin('airflow'))) throw new Error(`${venvBin('airflow')} is missing: run scripts/setup-python.sh first`);
  const a = await airflowEnv(config, log, port);
  const previous = existsSync(pidFile(a.home)) ? (JSON.parse(readFileSync(pidFile(a.home), 'utf8')) as PidFile) : undefined;
  if (previous && alive(previous.launcher)) throw new Error(`Airflow is already running from ${a.home} (launcher pid ${previous.launcher}); \`olist airflow stop\` first`);
  const env = { ...process.env, ...a.env };
  out.say(`Airflow home ${a.home}; metadata ${a.env.AIRFLOW__DATABASE__SQL_ALCHEMY_CONN!.replace(/:[^:@/]*@/, ':***@')}`);
  const migrated = spawnSync(venvBin('airflow'), ['db', 'migrate'], { env, encoding: 'utf8', timeout: 600_000 });
  if (migrated.status !== 0) throw new Error(`airflow db migrate failed (${migrated.status ?? migrated.signal}):\n${(migrated.stderr || migrated.stdout).slice(-3000)}`);

  const children: ChildProcess[] = [];
  for (const name of COMPONENTS) {
    const logFd = openSync(path.join(a.home, 'logs', `${name}.log`), 'a');
    const args = name === 'api-server' ? [name, '--port', String(port)] : [name];
    // detached: a process group of its own, so a stop reaches the component's own children too.
    children.push(spawn(venvBin('airflow'), args, { env, detached: true, stdio: ['ignore', logFd, logFd] }));
  }
  const pids: PidFile = { launcher: process.pid, components: COMPONENTS.map((name, i) => ({ name, pid: children[i]!.pid! })) };
  writeFileSync(pidFile(a.home), JSON.stringify(pids));
  const stopAll = async (why: string) => {
    out.say(`stopping Airflow (${why})`);
    await stopGroups(children.map((c) => c.pid!), log);
    rmSync(pidFile(a.home), { force: true });
    if (a.startedServer) await stopEmbedded(config.embeddedDataDir, log);
  };
  try {
    await waitHealthy(a.url, children, 300_000);
  } catch (err) {
    await stopAll('it did not start');
    throw err;
  }
  if (!interruptReason()) {
    const login = { user: USER, password: password(a.home).password };
    out.result({ ok: true, url: a.url, login, home: a.home, pids: pids.components }, () =>
      [
        `Airflow is up: ${a.url}  (login ${login.user} / ${login.password})`,
        `logs: ${path.join(a.home, 'logs')}; DAGs: ${a.env.AIRFLOW__CORE__DAGS_FOLDER}`,
        'Ctrl-C or `olist airflow stop` stops it; `eval "$(olist airflow env)"` sets up a shell for `airflow ...` commands.',
      ].join('\n'),
    );
  }
  // Run until a signal (the action wrapper turns it into interruptReason()) or a component dies.
  let why: string | undefined;
  while (!(why = interruptReason())) {
    const dead = children.find((c) => c.exitCode !== null || c.signalCode !== null);
    if (dead) {
      why = `airflow ${dead.spawnargs[1]} exited (${dead.exitCode ?? dead.signalCode})`;
      await stopAll(why);
      throw new Error(`${why}; everything was stopped (see ${path.join(a.home, 'logs')})`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  await stopAll(why);
  process.exitCode = 0; // a requested stop is a clean end
}

async function stop(config: Config, log: Logger, out: Output): Promise<void> {
  const file = pidFile(airflowHome(config));
  if (!existsSync(file)) return out.result({ ok: true, stopped: false }, () => 'Airflow is not running');
  const pids = JSON.parse(readFileSync(file, 'utf8')) as PidFile;
  // The launcher stops its components itself; if it is gone, stop the groups it left.
  if (alive(pids.launcher)) {
    process.kill(pids.launcher, 'SIGTERM');
    const deadline = Date.now() + STOP_GRACE_MS + 15_000;
    while (alive(pids.launcher) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  }
  await stopGroups(pids.components.map((c) => c.pid), log);
  rmSync(file, { force: true });
  out.result({ ok: true, stopped: true }, () => 'Airflow stopped');
}

export function registerAirflowCommands(program: Command, action: CommandAction): void {
  const cmd = program
    .command('airflow')
    .description('run Airflow 3 locally for the DAGs in airflow/dags (PostgreSQL metadata, LocalExecutor, UI on --port)');
  cmd
    .command('start', { isDefault: true })
    .description('start the api-server (UI), scheduler and dag-processor; runs until Ctrl-C or `olist airflow stop`')
    .option('--port <port>', 'port of the UI and API (AIRFLOW__API__BASE_URL follows it)', process.env.OLIST_AIRFLOW_PORT ?? '8080')
    .action(action(async ({ config, log, out }, opts: { port: string }) => start(config, log, out, opts)));
  cmd
    .command('stop')
    .description('stop the Airflow started by `olist airflow` (every process it started)')
    .action(action(async ({ config, log, out }) => stop(config, log, out)));
  cmd
    .command('env')
    .description('print `export` lines for running `airflow ...` commands against that Airflow (eval "$(olist airflow env)")')
    .option('--port <port>', 'port of the UI and API', process.env.OLIST_AIRFLOW_PORT ?? '8080')
    .action(
      action(async ({ config, log, out }, opts: { port: string }) => {
        const a = await airflowEnv(config, log, Number(opts.port));
        out.result({ ok: true, env: a.env }, () => Object.entries(a.env).map(([k, v]) => `export ${k}=${JSON.stringify(v)}`).join('\n'));
      }),
    );
}

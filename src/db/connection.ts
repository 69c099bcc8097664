import pg from 'pg';
import { ConfigError, type Config } from '../config.ts';
import { onInterrupt } from '../db/interrupt.ts';
import type { Logger } from '../log.ts';
import { startEmbedded } from './embedded.ts';

export type Pool = pg.Pool;
export type Client = pg.PoolClient;

// Keep numerics and int8 as exact strings: money must never pass through a float.
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => v);
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => v);
// Dates and timestamps without zone are local business times: keep their text, never shift them.
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);
pg.types.setTypeParser(pg.types.builtins.TIMESTAMP, (v) => v);

export interface Database {
  pool: Pool;
  url: string;
  embedded: boolean;
  close(): Promise<void>;
}

/** The URL without its password, to name the server in messages. */
export function redacted(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/**
 * Settings of every session the job opens, so that a default-configured server we do not own
 * (JIT on, synchronous commit, 4MB work_mem) runs the job as the embedded server does with its own
 * configuration (src/db/embedded.ts). Any user may set them for a session.
 * - `synchronous_commit=off`: a commit does not wait for its WAL flush. A crash can lose the last
 *   commits (never corrupt them); the job is idempotent and a rerun redoes them.
 * - `jit=off`: the models and checks are many medium-sized queries; compiling each one costs more
 *   than it saves.
 * - `DateStyle=ISO`: timestamps written as text read `2017-10-02 10:56:33`, whatever the server's
 *   default; the ingest's cheap timestamp test compares with that form (src/ingest/columnRules.ts),
 *   and node-postgres parses it.
 * Sent in the start-up packet (libpq `options`): no round trip.
 */
export const JOB_SESSION_SETTINGS: Readonly<Record<string, string>> = {
  synchronous_commit: 'off',
  jit: 'off',
  DateStyle: 'ISO',
};

/**
 * Memory for the job's sessions, in kB, applied only where the server's own setting is lower (an
 * administrator's larger value is kept): hashes and sorts of the checks in memory, index and key
 * builds sorting in memory (`maintenance_work_mem` at scale 10). A model build raises work_mem
 * further for its own transaction (BUILD_SESSION_SETTINGS).
 */
export const JOB_SESSION_MINIMUMS_KB: Readonly<Record<string, number>> = {
  work_mem: 64 * 1024,
  maintenance_work_mem: 512 * 1024,
};

/** The settings among `minimumsKb` that the server has lower, with the value to raise them to (e.g. `64MB`). */
export function settingsToRaiseSql(minimumsKb: Readonly<Record<string, number>>): string {
  const values = Object.entries(minimumsKb).map(([k, v]) => `('${k}', ${Math.round(v)})`).join(', ');
  // pg_settings gives work_mem and maintenance_work_mem in kB.
  return `select coalesce(json_object_agg(m.name, m.kb || 'kB'), '{}') from (values ${values}) m(name, kb) join pg_settings s on s.name = m.name where s.setting::bigint < m.kb`;
}

/**
 * What a model build sets for its own transaction (`set local`):
 * - `work_mem`: at most two models build at once, each with a few sorts and hashes that must stay
 *   in memory (they spilled at scale 10 with less).
 * - `default_statistics_target`: the analyze that ends each build only has to give the next models
 *   and the gate row counts and rough distributions; a 3,000-row sample (10) does, at a tenth of
 *   the default's cost (100: 30,000 rows, 0.8 s for order_fulfillment_fact). Autovacuum analyzes
 *   every published table again with the server's target soon after (the build's inserts count as
 *   changes at commit), which is what the served queries plan with.
 */
export const BUILD_SESSION_SETTINGS: Readonly<Record<string, string>> = { work_mem: '256MB', default_statistics_target: '10' };

/** `-c name=value ...` for libpq's `options`, from a settings map, then `extra` (options of the URL, which win). */
export function sessionOptions(settings: Readonly<Record<string, string>>, extra = ''): string {
  return [...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`), extra].filter(Boolean).join(' ');
}

/** The URL without its `options` parameter, and that parameter (node-postgres lets the URL's replace ours). */
function splitOptions(url: string): { url: string; options: string } {
  try {
    const u = new URL(url);
    const options = u.searchParams.get('options') ?? '';
    if (!options) return { url, options };
    u.searchParams.delete('options');
    return { url: u.toString(), options };
  } catch {
    return { url, options: '' };
  }
}

/**
 * Connects to DATABASE_URL, or starts (or reuses) the embedded server. Every failure to reach the
 * server names where the URL came from (DATABASE_URL or the embedded server). Every connection
 * gets an 'error' listener: a server that goes away (stopped, restarted, network) fails the query
 * that is running or the next one, never the process with an unhandled 'error' event. When the job
 * is interrupted, the queries running on the pool are cancelled.
 */
export async function connect(config: Config, log: Logger): Promise<Database> {
  let url = config.databaseUrl;
  const embedded = !url;
  if (!url) url = (await startEmbedded(config.embeddedDataDir, config.embeddedPort, log)).url;
  const origin = embedded ? `the embedded server (${redacted(url)})` : `DATABASE_URL (${redacted(url)})`;
  const clients = new Set<pg.PoolClient>();
  const target = splitOptions(url);
  const makePool = (settings: Readonly<Record<string, string>>): pg.Pool => {
    let p: pg.Pool;
    try {
      p = new pg.Pool({ connectionString: target.url, max: 6, application_name: 'olist', options: sessionOptions(settings, target.options) });
    } catch (err) {
      throw new ConfigError(`DATABASE_URL is not a usable connection URL: ${(err as Error).message}`);
    }
    p.on('error', (err) => log.error({ err }, 'idle database connection failed'));
    p.on('connect', (client) => {
      clients.add(client);
      client.on('error', (err) => log.error({ err }, 'database connection failed'));
    });
    p.on('remove', (client) => clients.delete(client));
    return p;
  };
  let pool = makePool(JOB_SESSION_SETTINGS);
  let version: number;
  let raise: Record<string, string>;
  const probe = `select current_setting('server_version_num')::int as v, (${settingsToRaiseSql(JOB_SESSION_MINIMUMS_KB)}) as raise`;
  try {
    let rows: { v: number; raise: Record<string, string> }[];
    try {
      ({ rows } = await pool.query<{ v: number; raise: Record<string, string> }>(probe));
    } catch (err) {
      // A connection pooler (PgBouncer without ignore_startup_parameters) refuses `options`: run
      // without the job's session settings rather than not at all.
      if (!/unsupported startup parameter/i.test((err as Error).message)) throw err;
      log.warn({ err }, 'the server refuses session options: running with its own settings');
      await pool.end().catch(() => undefined);
      pool = makePool({});
      ({ rows } = await pool.query<{ v: number; raise: Record<string, string> }>(probe));
      rows = rows.map((r) => ({ ...r, raise: {} }));
    }
    version = rows[0]?.v ?? 0;
    raise = rows[0]?.raise ?? {};
  } catch (err) {
    await pool.end().catch(() => undefined);
    const e = err as Error & { code?: string };
    throw new ConfigError(`cannot connect to ${origin}: ${e.message}${e.code && !e.message.includes(e.code) ? ` (${e.code})` : ''}`, { cause: err });
  }
  if (Object.keys(raise).length > 0) {
    // The server's memory settings are lower than the job's minimums: every session starts with them raised.
    await pool.end();
    pool = makePool({ ...JOB_SESSION_SETTINGS, ...raise });
  }
  if (version < 140000) {
    await pool.end();
    throw new ConfigError(`PostgreSQL >= 14 is required, ${origin} runs ${version}`);
  }
  const cancelRunning = async () => {
    const pids = [...clients].map((c) => (c as unknown as { processID?: number }).processID).filter((p): p is number => typeof p === 'number');
    if (pids.length === 0) return;
    // A separate connection: every pooled one may be busy.
    const admin = new pg.Client({ connectionString: url, application_name: 'olist-cancel' });
    admin.on('error', () => undefined);
    try {
      await admin.connect();
      await admin.query('select pg_cancel_backend(pid) from unnest($1::int[]) pid', [pids]);
    } finally {
      await admin.end().catch(() => undefined);
    }
  };
  const stopListening = onInterrupt((why) => {
    log.warn({ reason: why }, 'cancelling running queries');
    cancelRunning().catch((err: Error) => log.error({ err }, 'could not cancel the running queries'));
  });
  return { pool, url, embedded, close: () => (stopListening(), pool.end()) };
}

/** Runs `fn` in a transaction on one connection; rolls back on any error. */
export async function inTransaction<T>(pool: Pool, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const result = await fn(client);
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** Quotes an SQL identifier. */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes an SQL string literal (standard_conforming_strings, the default since PostgreSQL 9.1). */
export function literal(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

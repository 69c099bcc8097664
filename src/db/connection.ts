import pg from 'pg';
import type { Config } from '../config.ts';
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

/** Connects to DATABASE_URL, or starts (or reuses) the embedded server. */
export async function connect(config: Config, log: Logger): Promise<Database> {
  let url = config.databaseUrl;
  const embedded = !url;
  if (!url) url = (await startEmbedded(config.embeddedDataDir, config.embeddedPort, log)).url;
  const pool = new pg.Pool({ connectionString: url, max: 6, application_name: 'olist' });
  pool.on('error', (err) => log.error({ err }, 'idle database connection failed'));
  const { rows } = await pool.query<{ v: number }>("select current_setting('server_version_num')::int as v");
  if ((rows[0]?.v ?? 0) < 140000) {
    await pool.end();
    throw new Error(`PostgreSQL >= 14 is required, the server at DATABASE_URL runs ${rows[0]?.v}`);
  }
  return { pool, url, embedded, close: () => pool.end() };
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

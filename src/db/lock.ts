import type { Client, Pool } from './connection.ts';

/** One advisory lock key for every job that writes the warehouse (run, ingest, transform, check). */
const WAREHOUSE_LOCK = 7_146_151; // arbitrary constant: "olist" on a phone keypad

export class LockedError extends Error {}

/**
 * Holds a session-level advisory lock on a dedicated connection for the duration of `fn`, so two
 * runs can never interleave their writes. A second run is refused at once with a clear message
 * instead of queueing behind the first.
 */
export async function withWarehouseLock<T>(pool: Pool, fn: () => Promise<T>): Promise<T> {
  const client: Client = await pool.connect();
  let broken: Error | undefined;
  try {
    const { rows } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1) as ok', [WAREHOUSE_LOCK]);
    if (!rows[0]?.ok) {
      const holder = await client.query<{ pid: number; started: string | null; app: string | null }>(
        `select l.pid, a.backend_start::text as started, a.application_name as app
           from pg_locks l left join pg_stat_activity a using (pid)
          where l.locktype = 'advisory' and l.objid = $1 and l.granted limit 1`,
        [WAREHOUSE_LOCK],
      );
      const h = holder.rows[0];
      throw new LockedError(
        `another olist job holds the warehouse lock${h ? ` (backend pid ${h.pid}, connected since ${h.started})` : ''}; ` +
          'wait for it to finish and retry',
      );
    }
    try {
      return await fn();
    } finally {
      // If the session is gone (server stopped, connection killed), so is its lock: the job's own
      // error is what the user must see, not a failed unlock.
      await client.query('select pg_advisory_unlock($1)', [WAREHOUSE_LOCK]).catch((err: Error) => {
        broken = err;
      });
    }
  } finally {
    client.release(broken);
  }
}

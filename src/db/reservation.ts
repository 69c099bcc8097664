import type { Pool } from './connection.ts';
import { LockedError } from './lock.ts';

/**
 * A reservation of the warehouse by one multi-step job (audit.job_reservations, one row at most).
 * The advisory lock (lock.ts) serialises single CLI calls; a job made of several calls (Airflow's
 * full refresh: ingest, transform, check and publish as separate tasks) reserves the warehouse
 * from its first call to its last, so no other job runs in between. Each of its calls passes the
 * same OLIST_JOB_ID. A reservation expires (ttl), so a job that died without releasing it blocks
 * others only that long.
 */
export interface Reservation {
  jobId: string;
  reservedAt: string;
  expiresAt: string;
}

async function current(pool: Pool): Promise<Reservation | undefined> {
  const { rows } = await pool.query<{ job_id: string; reserved_at: string; expires_at: string }>(
    `select job_id, reserved_at::text, expires_at::text from audit.job_reservations where expires_at > now()`,
  );
  const r = rows[0];
  return r ? { jobId: r.job_id, reservedAt: r.reserved_at, expiresAt: r.expires_at } : undefined;
}

function busy(r: Reservation): LockedError {
  return new LockedError(`the warehouse is reserved by job ${r.jobId} (since ${r.reservedAt}, until ${r.expiresAt} at the latest); wait for it to finish and retry`);
}

/** Refuses (exit 75) when a live reservation belongs to another job than `jobId`. */
export async function assertNoOtherReservation(pool: Pool, jobId: string | undefined): Promise<void> {
  const r = await current(pool);
  if (r && r.jobId !== jobId) throw busy(r);
}

/** Takes (or renews, for the same job) the reservation; refuses when another job holds a live one. */
export async function reserve(pool: Pool, jobId: string, ttlMinutes: number): Promise<Reservation> {
  const { rows } = await pool.query<{ job_id: string; reserved_at: string; expires_at: string }>(
    `insert into audit.job_reservations (job_id, expires_at) values ($1, now() + make_interval(mins => $2))
     on conflict (resource) do update set job_id = excluded.job_id, reserved_at = now(), expires_at = excluded.expires_at
      where audit.job_reservations.expires_at <= now() or audit.job_reservations.job_id = excluded.job_id
     returning job_id, reserved_at::text, expires_at::text`,
    [jobId, ttlMinutes],
  );
  const r = rows[0];
  if (!r) throw busy((await current(pool))!);
  return { jobId: r.job_id, reservedAt: r.reserved_at, expiresAt: r.expires_at };
}

/** Ends the job's reservation; a no-op when it holds none (already released or expired). */
export async function release(pool: Pool, jobId: string): Promise<boolean> {
  const { rowCount } = await pool.query('delete from audit.job_reservations where job_id = $1', [jobId]);
  return (rowCount ?? 0) > 0;
}

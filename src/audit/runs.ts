import type { Pool } from '../db/connection.ts';

/**
 * Called under the warehouse lock: a run still marked 'running' cannot be alive (it would hold the
 * lock), so its process died. Mark it failed rather than leave it running forever in `status`.
 */
export async function closeAbandonedRuns(pool: Pool): Promise<number> {
  const { rowCount } = await pool.query(
    `update audit.runs set status = 'failed', finished_at = clock_timestamp(),
            error = 'abandoned: the process ended before the run finished'
      where status = 'running'`,
  );
  return rowCount ?? 0;
}

/** Opens a row in audit.runs; its id tags every log line, file load, reject and check result. */
export async function startRun(pool: Pool, command: string, dataDir: string | null): Promise<number> {
  const { rows } = await pool.query<{ run_id: string }>(
    'insert into audit.runs (command, data_dir) values ($1, $2) returning run_id',
    [command, dataDir],
  );
  return Number(rows[0]!.run_id);
}

/** `error` is the failure as told to the user (describeError): one line, no NUL. */
export async function finishRun(pool: Pool, runId: number, outcome: { error?: string; summary?: unknown }): Promise<void> {
  await pool.query(
    `update audit.runs set status = $2, finished_at = clock_timestamp(), error = $3, summary = $4 where run_id = $1`,
    [runId, outcome.error !== undefined ? 'failed' : 'succeeded', outcome.error === undefined ? null : outcome.error.replaceAll('\0', '\\0'), outcome.summary === undefined ? null : JSON.stringify(outcome.summary)],
  );
}

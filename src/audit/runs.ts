import type { Pool } from '../db/connection.ts';

/** Opens a row in audit.runs; its id tags every log line, file load, reject and check result. */
export async function startRun(pool: Pool, command: string, dataDir: string | null): Promise<number> {
  const { rows } = await pool.query<{ run_id: string }>(
    'insert into audit.runs (command, data_dir) values ($1, $2) returning run_id',
    [command, dataDir],
  );
  return Number(rows[0]!.run_id);
}

export async function finishRun(pool: Pool, runId: number, outcome: { error?: Error; summary?: unknown }): Promise<void> {
  await pool.query(
    `update audit.runs set status = $2, finished_at = clock_timestamp(), error = $3, summary = $4 where run_id = $1`,
    [runId, outcome.error ? 'failed' : 'succeeded', outcome.error?.message ?? null, outcome.summary === undefined ? null : JSON.stringify(outcome.summary)],
  );
}

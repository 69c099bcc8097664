import { ident, type Pool } from './connection.ts';

/**
 * Completeness of a staged schema (`raw_build`, `<layer>_build`), recorded as the schema's comment
 * so that it travels with the schema when publish renames it. A step writes "incomplete" when it
 * creates the schema and "complete" only after its last write, so a schema left by a killed or
 * failed step says so, and no later step (transform, check --staged, publish) builds on it or
 * publishes it.
 */
const PATTERN = /^olist staged layer: (complete|incomplete), run (\d+)/;

export type StagedState = { exists: false } | { exists: true; complete: boolean; runId: number | null };

export class IncompleteStagedError extends Error {}

function comment(complete: boolean, runId: number): string {
  return `olist staged layer: ${complete ? 'complete' : 'incomplete'}, run ${runId}${complete ? '' : ' (being written; left like this if the run stopped)'}`;
}

export function markStagedSql(schema: string, complete: boolean, runId: number): string {
  return `comment on schema ${ident(schema)} is '${comment(complete, runId)}'`;
}

export async function markStaged(pool: Pool, schema: string, complete: boolean, runId: number): Promise<void> {
  await pool.query(markStagedSql(schema, complete, runId));
}

export async function stagedState(pool: Pool, schema: string): Promise<StagedState> {
  const { rows } = await pool.query<{ c: string | null }>(
    "select obj_description(oid, 'pg_namespace') as c from pg_namespace where nspname = $1",
    [schema],
  );
  if (rows.length === 0) return { exists: false };
  const m = PATTERN.exec(rows[0]!.c ?? '');
  return { exists: true, complete: m?.[1] === 'complete', runId: m ? Number(m[2]) : null };
}

/** Throws when `schema` exists but was not completed by the step that wrote it. */
export async function assertNotIncomplete(pool: Pool, schema: string, redo: string): Promise<StagedState> {
  const state = await stagedState(pool, schema);
  if (state.exists && !state.complete) {
    throw new IncompleteStagedError(
      `the staged schema ${schema} is incomplete (${state.runId === null ? 'written by an unknown run' : `run ${state.runId} stopped before finishing it`}): ${redo}`,
    );
  }
  return state;
}

/**
 * Planner statistics for tables a feed batch changed a large share of. Autovacuum analyzes a table
 * some time after a commit; until then, a warehouse just filled by its first batches (or by a
 * catch-up batch of many days) is planned as if its tables were empty, and the next batches walk
 * indexes over whole tables or sort what an index hands out in order. A batch that rewrote at
 * least a fifth of a table (and more than a few hundred rows) analyzes it at once, inside its
 * transaction: ANALYZE sees the transaction's own rows, so the models downstream and the gate are
 * planned with them, and the statistics commit or roll back with the batch. A typical day changes
 * a percent or two of each large table and analyzes nothing.
 *
 * Such a table is vacuumed too, once the batch has committed (VACUUM cannot run in a
 * transaction): its pages are then marked all-visible, so the next batches' index-only walks (the
 * delivery medians read values at a rank off an index) do not fetch every row from the heap while
 * autovacuum has not come by yet.
 */
import { ident, type Client } from './connection.ts';

/**
 * Analyzes a batch's own temporary tables (the rows a batch brings, the keys it touched) once they
 * are filled. Autovacuum never sees temporary tables, so without this the planner guesses a few
 * hundred to a thousand rows from their page count, and joins them to a raw table or a fact by
 * hashing that table whole: for a batch of six orders, 20-35 ms per statement where an index
 * lookup per row takes well under one. Analyzing a table of a few rows costs a fraction of a
 * millisecond. `tables` are already qualified and quoted.
 */
export async function analyzeTemporary(client: Pick<Client, 'query'>, tables: readonly string[]): Promise<void> {
  if (tables.length > 0) await client.query(`analyze ${tables.join(', ')}`);
}

const SHARE = 0.2;
const MIN_ROWS = 500;

export interface TableStatistics {
  /** Analyzes `schema.table` if `changedRows` is a large share of what the planner believes it holds. */
  refreshIfStale(schema: string, table: string, changedRows: number): Promise<boolean>;
  /** The tables analyzed so far (qualified, quoted). */
  analyzed: string[];
}

/** Vacuums the tables a committed batch analyzed; a failure is the caller's to log, not the batch's. */
export async function vacuumTables(pool: { query(sql: string): Promise<unknown> }, tables: readonly string[]): Promise<void> {
  for (const t of tables) await pool.query(`vacuum ${t}`);
}

/** The planner's row estimates of the tables of these schemas, read once for a batch. */
export async function tableStatistics(client: Client, schemas: readonly string[]): Promise<TableStatistics> {
  const { rows } = await client.query<{ rel: string; n: number }>(
    `select n.nspname || '.' || c.relname as rel, c.reltuples::float8 as n
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and n.nspname = any($1::text[])`,
    [schemas],
  );
  const believed = new Map(rows.map((r) => [r.rel, Math.max(0, Number(r.n))])); // -1: never analyzed
  const analyzed: string[] = [];
  return {
    analyzed,
    async refreshIfStale(schema, table, changedRows) {
      const key = `${schema}.${table}`;
      const size = believed.get(key);
      if (size === undefined || changedRows < MIN_ROWS || changedRows < SHARE * size) return false;
      await client.query(`analyze ${ident(schema)}.${ident(table)}`);
      analyzed.push(`${ident(schema)}.${ident(table)}`);
      const { rows: after } = await client.query<{ n: number }>('select reltuples::float8 as n from pg_class where oid = $1::regclass', [`${ident(schema)}.${ident(table)}`]);
      believed.set(key, Math.max(0, Number(after[0]?.n ?? 0)));
      return true;
    },
  };
}

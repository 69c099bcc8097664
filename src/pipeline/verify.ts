/**
 * `olist verify`: the proof that the incremental path and the full path meet. It rebuilds every
 * model from scratch into separate schemas (`<layer>_verify`), from the published raw layer or,
 * with a data directory, from a full load of those files (`raw_verify`), and compares each table
 * with the published one: row count and an order-independent checksum of the rows (the sum of
 * 64-bit slices of each row's md5). Lineage columns (the CSV line of a row) are left out: a row's
 * line is its line in a batch file on one path and in the full file on the other. Nothing is
 * published; the verify schemas are dropped at the end.
 */
import { ident, type Pool } from '../db/connection.ts';
import { ingestToBuild, RAW_SCHEMA } from '../ingest/ingest.ts';
import { ARRIVAL_COLUMN, LINE_COLUMN } from '../ingest/rawTable.ts';
import { SOURCES, versionsOf, versionsTableName } from '../sources/index.ts';
import { buildModels } from '../transform/build.ts';
import { loadModels, MODEL_LAYERS } from '../transform/models.ts';
import type { Context } from './context.ts';

const verifySchema = (layer: string): string => `${layer}_verify`;
/**
 * Columns that say where a row came from, not what it says (a version's arrival: the batch that
 * delivered it in a replay, the file in a full load of the same data).
 */
const LINEAGE_COLUMNS = [LINE_COLUMN, 'source_line', ARRIVAL_COLUMN, 'arrival'];

export interface TableComparison {
  table: string;
  publishedRows: number;
  rebuiltRows: number;
  equal: boolean;
}

async function fingerprint(pool: Pool, schema: string, table: string): Promise<{ rows: number; checksum: string }> {
  const { rows: cols } = await pool.query<{ name: string }>(
    `select attname as name from pg_attribute where attrelid = $1::regclass and attnum > 0 and not attisdropped and not (attname = any($2)) order by attnum`,
    [`${ident(schema)}.${ident(table)}`, LINEAGE_COLUMNS],
  );
  const row = `row(${cols.map((c) => `t.${ident(c.name)}`).join(', ')})::text`;
  const { rows } = await pool.query<{ n: string; sum: string | null }>(
    `select count(*) as n, sum(('x' || substr(md5(${row}), 1, 16))::bit(64)::bigint::numeric)::text as sum from ${ident(schema)}.${ident(table)} t`,
  );
  return { rows: Number(rows[0]!.n), checksum: rows[0]!.sum ?? '0' };
}

export async function verifyStep(ctx: Context, runId: number, dataDir?: string): Promise<{ tables: TableComparison[]; equal: boolean }> {
  const pool = ctx.db.pool;
  const models = await loadModels();
  const rawVerify = verifySchema(RAW_SCHEMA);
  try {
    if (dataDir) {
      await ingestToBuild(pool, { runId, dataDir, log: ctx.log.child({ runId, step: 'verify' }), schema: rawVerify, recordLoads: false });
    }
    await buildModels(pool, models, { sourceSchema: dataDir ? rawVerify : RAW_SCHEMA, schemaOf: verifySchema, log: ctx.log.child({ runId, step: 'verify' }) });
    const pairs = [
      ...(dataDir ? SOURCES.flatMap((s) => [s.name, ...(versionsOf(s) ? [versionsTableName(s)] : [])]).map((name) => ({ layer: RAW_SCHEMA, name })) : []),
      // views hold no rows of their own: equal tables give equal views
      ...models.filter((m) => m.materialized === 'table').map((m) => ({ layer: m.layer as string, name: m.name })),
    ];
    const tables: TableComparison[] = [];
    for (const p of pairs) {
      const published = await fingerprint(pool, p.layer, p.name);
      const rebuilt = await fingerprint(pool, verifySchema(p.layer), p.name);
      tables.push({ table: `${p.layer}.${p.name}`, publishedRows: published.rows, rebuiltRows: rebuilt.rows, equal: published.rows === rebuilt.rows && published.checksum === rebuilt.checksum });
    }
    return { tables, equal: tables.every((t) => t.equal) };
  } finally {
    await pool.query([RAW_SCHEMA, ...MODEL_LAYERS].map((l) => `drop schema if exists ${ident(verifySchema(l))} cascade;`).join('\n')).catch(() => undefined);
  }
}

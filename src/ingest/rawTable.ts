import { BUILD_SESSION_SETTINGS, ident, inTransaction, literal, type Pool } from '../db/connection.ts';
import { versionsOf, versionsTableName, type ColumnType, type SourceSpec } from '../sources/index.ts';

/** PostgreSQL type of each spec column type in the raw layer. */
export const SQL_TYPES: Record<ColumnType, string> = {
  id: 'text',
  text: 'text',
  integer: 'integer',
  money: 'numeric(12,2)',
  double: 'double precision',
  timestamp: 'timestamp',
  zip_prefix: 'text',
  state: 'text',
};

/** Column holding the record's first line in its source file, for tracing any row back to the CSV. */
export const LINE_COLUMN = '_line';

/**
 * Column of a version history holding which applied feed batch delivered the version (1 for the
 * first batch applied, 2 for the next, ...; 0 for the full load's file): with the line, the order
 * versions arrived in, which type 1 columns follow (the latest correction received wins, whatever
 * date it is effective from). An ordinal of the ledger, not a clock, so a replay gives the same.
 */
export const ARRIVAL_COLUMN = '_arrival';

/**
 * Sets, for the rest of the transaction, the statistics target of the analyze that ends a raw
 * table's load: the build's (BUILD_SESSION_SETTINGS says why a 3,000-row sample is enough for the
 * models and the gate). With the default (30,000 rows) the analyzes were a sixth of the ingest.
 */
export const RAW_ANALYZE_TARGET_SQL = `set local default_statistics_target = ${BUILD_SESSION_SETTINGS.default_statistics_target}`;

/** DDL of a raw table, generated from the spec (types and nullability as validated). */
export function rawTableDdl(spec: SourceSpec, schema: string): string {
  const cols = spec.columns.map((c) => `  ${ident(c.name)} ${SQL_TYPES[c.type]}${c.nullable ? '' : ' not null'}`);
  cols.push(`  ${LINE_COLUMN} bigint not null`);
  return `create table ${ident(schema)}.${ident(spec.name)} (\n${cols.join(',\n')}\n);\n${rawTableComment(spec, schema)};`;
}

function rawTableComment(spec: SourceSpec, schema: string): string {
  return `comment on table ${ident(schema)}.${ident(spec.name)} is ${literal(`${spec.fileName}: ${spec.description}`)}`;
}

/**
 * The same raw table created from a query giving its columns in the spec's order, then `_line`
 * (the server-side CSV path's valid rows, src/ingest/validateSql.ts). `create table as` rather than
 * an insert into rawTableDdl's table because PostgreSQL runs the select of a `create table as` with
 * parallel workers, which an `insert ... select` never gets: the validation of a big file then uses
 * both cores. The ALTER then gives every column exactly rawTableDdl's type and NOT NULL (a type the
 * query already has is a no-op; the NOT NULLs cost one scan), so the two forms give the same table.
 */
export function rawTableAsSql(spec: SourceSpec, schema: string, query: string): string[] {
  const table = `${ident(schema)}.${ident(spec.name)}`;
  const conform = [...spec.columns.map((c) => ({ name: c.name, type: SQL_TYPES[c.type], nullable: c.nullable })), { name: LINE_COLUMN, type: 'bigint', nullable: false }]
    .flatMap((c) => [`alter column ${ident(c.name)} type ${c.type}`, ...(c.nullable ? [] : [`alter column ${ident(c.name)} set not null`])]);
  return [`create table ${table} as ${query}`, `alter table ${table} ${conform.join(', ')}`, rawTableComment(spec, schema)];
}

export function copyStatement(spec: SourceSpec, schema: string): string {
  const cols = [...spec.columns.map((c) => ident(c.name)), LINE_COLUMN].join(', ');
  return `copy ${ident(schema)}.${ident(spec.name)} (${cols}) from stdin`;
}

/**
 * The history table of a versioned source (`<name>_versions`, src/sources/types.ts): created from
 * the freshly loaded raw table, so after a full load it holds the file's rows, each valid since the
 * beginning (no effective time); the feed then adds every version it receives (src/feed/merge.ts).
 * One row per key and effective time. The statements run in one transaction (the last two need it).
 */
export function versionsTableSql(spec: SourceSpec, schema: string): string[] {
  const versions = versionsOf(spec);
  if (!versions) return [];
  const table = `${ident(schema)}.${ident(versionsTableName(spec))}`;
  const key = [...spec.primaryKey.map(ident), `coalesce(${ident(versions.effectiveColumn)}, '-infinity')`].join(', ');
  return [
    `create table ${table} as select *, 0::bigint as ${ARRIVAL_COLUMN} from ${ident(schema)}.${ident(spec.name)}`,
    `create unique index on ${table} (${key})`,
    `comment on table ${table} is ${literal(`Every version of ${spec.fileName} received (full load: the file; feed: each version sent), one per key and ${versions.effectiveColumn}.`)}`,
    RAW_ANALYZE_TARGET_SQL,
    `analyze ${table}`,
  ];
}

/** Creates the history table of a versioned source from its raw table (versionsTableSql), in one transaction; nothing for the others. */
export async function createVersionsTable(pool: Pool, spec: SourceSpec, schema: string): Promise<void> {
  const statements = versionsTableSql(spec, schema);
  if (statements.length === 0) return;
  await inTransaction(pool, async (client) => {
    for (const sql of statements) await client.query(sql);
  });
}

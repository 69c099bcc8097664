import { ident } from '../db/connection.ts';
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

/** DDL of a raw table, generated from the spec (types and nullability as validated). */
export function rawTableDdl(spec: SourceSpec, schema: string): string {
  const cols = spec.columns.map((c) => `  ${ident(c.name)} ${SQL_TYPES[c.type]}${c.nullable ? '' : ' not null'}`);
  cols.push(`  ${LINE_COLUMN} bigint not null`);
  const comment = `comment on table ${ident(schema)}.${ident(spec.name)} is ${literal(`${spec.fileName}: ${spec.description}`)}`;
  return `create table ${ident(schema)}.${ident(spec.name)} (\n${cols.join(',\n')}\n);\n${comment};`;
}

export function copyStatement(spec: SourceSpec, schema: string): string {
  const cols = [...spec.columns.map((c) => ident(c.name)), LINE_COLUMN].join(', ');
  return `copy ${ident(schema)}.${ident(spec.name)} (${cols}) from stdin`;
}

function literal(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/**
 * The history table of a versioned source (`<name>_versions`, src/sources/types.ts): created from
 * the freshly loaded raw table, so after a full load it holds the file's rows, each valid since the
 * beginning (no effective time); the feed then adds every version it receives (src/feed/merge.ts).
 * One row per key and effective time.
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
    `analyze ${table}`,
  ];
}

import { ident, literal } from '../db/connection.ts';
import type { ColumnSpec, SourceSpec } from '../sources/index.ts';
import { MISSING_REASON, rangeReason, TYPE_RULES, valuesReason, type TypeRule } from './columnRules.ts';
import { LINE_COLUMN, SQL_TYPES } from './rawTable.ts';

/**
 * The spec's validation as SQL, for the server-side path (serverCsv.ts): the same rules as the
 * streaming validator (validate.ts), rendered from the same definitions (columnRules.ts), over a
 * text table holding one column per header field (`c1`..`cN`, NULL for an unquoted empty field)
 * and the record's ordinal `ord` (1 for the first record after the header).
 */

export const lit = literal;
const float = (n: number): string => `${n}::float8`;

/** The text column of the i-th header field (0-based). */
export const fieldColumn = (i: number): string => `c${i + 1}`;

/**
 * The type rule's test of a text `v` (the length, the guard or the pattern, the values it may
 * take), as one conjunction; `guarded`: the rule's cheaper cast guard in place of its pattern.
 */
function typeTestSql(rule: TypeRule, v: string, guarded: boolean): string {
  return [
    rule.length !== undefined ? `length(${v}) = ${rule.length}` : undefined,
    guarded ? rule.castGuardSql!(v) : undefined,
    rule.pattern && !guarded ? `${v} ~ ${lit(rule.pattern)}` : undefined,
    rule.oneOf ? `${v} in (${rule.oneOf.map(lit).join(', ')})` : undefined,
  ].filter(Boolean).join(' and ');
}

/**
 * SQL expression that is NULL when the column's text `v` (never NULL: '' when empty) is valid,
 * else the reason, with the checks in the streaming validator's order: missing, enumeration, type,
 * range. A CASE, so each check runs only when the earlier ones passed (a cast never sees text that
 * does not match its pattern).
 */
export function columnReasonSql(col: ColumnSpec, v: string): string | undefined {
  const rule = TYPE_RULES[col.type];
  const whens: string[] = [];
  if (col.values) whens.push(`when ${v} not in (${col.values.map(lit).join(', ')}) then ${lit(valuesReason(col.values))}`);
  if (rule) {
    whens.push(`when not (${typeTestSql(rule, v, false)}) then ${lit(rule.reason)}`);
    if (rule.also) whens.push(`when not ${rule.also.sql(v)} then ${lit(rule.reason)}`);
    const range = rangeSql(col, `${v}::float8`);
    if (range) whens.push(`when not ${range} then ${lit(rangeReason(col))}`);
  }
  if (whens.length === 0 && col.nullable) return undefined; // any text, or nothing: always valid
  return `case when ${v} = '' then ${col.nullable ? 'null' : lit(MISSING_REASON)} ${whens.join(' ')} end`;
}

/**
 * SQL boolean that is true when the column's text `v` (NULL for an unquoted empty field) is valid,
 * by the same rules as columnReasonSql but without naming the reason nor checking the range: what
 * the statement keeping a file's valid rows filters on (serverValidation). Cheaper than testing the
 * reason for NULL (a third less for the geolocation file): no CASE giving text for every column,
 * no coalesce evaluated in every branch. PostgreSQL may evaluate the conjuncts of a WHERE in any
 * order, so a test that casts (a date that exists) sits in a CASE after the pattern it needs.
 */
export function columnValidSql(col: ColumnSpec, v: string, checks: 'no range' | 'guarded'): string | undefined {
  const rule = TYPE_RULES[col.type];
  const tests: string[] = [];
  if (col.values) tests.push(`${v} in (${col.values.map(lit).join(', ')})`);
  if (rule) {
    const guarded = checks === 'guarded' && rule.castGuardSql !== undefined;
    const ok = typeTestSql(rule, v, guarded);
    tests.push(rule.also && !guarded ? `case when ${ok} then ${rule.also.sql(v)} else false end` : `(${ok})`);
  }
  if (tests.length === 0) return col.nullable ? undefined : `${v} <> ''`;
  return col.nullable ? `(${v} is null or ${v} = '' or (${tests.join(' and ')}))` : `${v} <> '' and ${tests.join(' and ')}`;
}

/** The range of a numeric column over its value as a double `n` (JavaScript's Number in validate.ts). */
function rangeSql(col: ColumnSpec, n: string): string | undefined {
  if (!TYPE_RULES[col.type]?.numeric || !col.range) return undefined;
  const { min, max } = col.range;
  const within = [min !== undefined ? `${n} >= ${float(min)}` : '', max !== undefined ? `${n} <= ${float(max)}` : ''].filter(Boolean);
  return within.length ? `(${within.join(' and ')})` : undefined;
}

export interface ServerValidation {
  /**
   * The valid rows, typed, in the raw table's column order and in file order (rawTableAsSql makes
   * the raw table from it).
   */
  selectValid: string;
  /**
   * The same with the cheaper guards of columnRules' castGuardSql, when a column has one: it gives
   * the same rows or fails (a cast refusing what a guard let through); then selectValid runs.
   */
  selectValidGuarded?: string;
  /**
   * Run first when some quoted field holds a line break: numbers the records' lines once, into
   * `tables.lines`, for both statements.
   */
  numberLines?: string;
  /**
   * Insert of the invalid ones into audit.rejected_rows, run after the raw table is made: the
   * records it did not take; parameters $1 run id, $2 source, $3 file name.
   */
  insertRejected: string;
}

/** The tables serverValidation reads and writes (quoted, schema-qualified). */
export interface ValidationTables {
  /** The text table the COPY filled. */
  text: string;
  /** Where the numbered lines go (numberLines), when needed. */
  lines: string;
  /** The raw table made from selectValid. */
  raw: string;
}

/**
 * The two statements that move a file's text table into the raw table and the quarantine.
 * `fieldIndex` maps each spec column to its header field (-1: an optional column the file lacks);
 * `width` is the number of header fields. `breaksInFields`: some quoted field holds a line break,
 * so a record's line is not simply its ordinal + 1 and needs the running count of the breaks in the
 * records before it (a window over the whole file: only for such files).
 */
export function serverValidation(
  spec: SourceSpec,
  tables: ValidationTables,
  fieldIndex: readonly number[],
  width: number,
  breaksInFields: boolean,
): ServerValidation {
  const fields = Array.from({ length: width }, (_, i) => `coalesce(t.${fieldColumn(i)}, '')`);
  const valueOf = (i: number) => (fieldIndex[i]! < 0 ? `''` : fields[fieldIndex[i]!]!);
  // An optional column the file lacks is NULL in every row, and valid: no test at all (a test on
  // the constant '' would be folded when the statement is planned, casts included, and fail it).
  const absent = (i: number) => fieldIndex[i]! < 0 && spec.columns[i]!.nullable === true;
  const reasons = spec.columns.map((c, i) => (absent(i) ? undefined : columnReasonSql(c, valueOf(i))));
  const checked = reasons.map((r, i) => ({ r, i })).filter((x): x is { r: string; i: number } => x.r !== undefined);

  // The window is a sort of the whole file: numbered once, into a table both statements read.
  const breaks = fields.map((f) => `length(${f}) - length(replace(${f}, E'\\n', ''))`).join(' + ');
  const numberLines = breaksInFields
    ? `create unlogged table ${tables.lines} as select t.*, t.ord + 1 + coalesce(sum(${breaks}) over (order by t.ord rows between unbounded preceding and 1 preceding), 0) as ${LINE_COLUMN} from ${tables.text} t`
    : undefined;
  const source = breaksInFields ? `${tables.lines} t` : `(select t.*, t.ord + 1 as ${LINE_COLUMN} from ${tables.text} t) t`;

  // The text of a field as it was read (NULL: unquoted empty), and as its value: a required one
  // passed the checks, so it is not empty; an optional one is NULL when empty.
  const textOf = (i: number) => (fieldIndex[i]! < 0 ? `''` : `t.${fieldColumn(fieldIndex[i]!)}`);
  // Valid rows: every check but the ranges on the text, then the casts (once), then the ranges on
  // the cast values (NULL, an empty optional value, passes). The fence (offset 0) keeps the planner
  // from moving the casts before the checks or computing them twice.
  const typed = spec.columns.map((c, i) => {
    const v = absent(i) ? 'null::text' : c.nullable ? `nullif(${textOf(i)}, '')` : textOf(i);
    return `${SQL_TYPES[c.type] === 'text' ? v : `${v}::${SQL_TYPES[c.type]}`} as ${ident(c.name)}`;
  });
  const ranges = spec.columns.map((c) => rangeSql(c, `s.${ident(c.name)}::float8`)).filter((r): r is string => r !== undefined);
  const columns = [...spec.columns.map((c) => ident(c.name)), LINE_COLUMN].join(', ');
  // In file order: a parallel plan would otherwise interleave the workers' rows, and a rerun must
  // give the same table, row for row.
  const select = (checks: 'no range' | 'guarded') => {
    const early = spec.columns.map((c, i) => (absent(i) ? undefined : columnValidSql(c, textOf(i), checks))).filter((r): r is string => r !== undefined);
    return `select ${columns} from (
      select ${typed.join(', ')}, t.${LINE_COLUMN} from ${source}
       where ${early.length ? early.join(' and ') : 'true'} offset 0
    ) s${ranges.length ? ` where ${ranges.map((r) => `coalesce(${r}, true)`).join(' and ')}` : ''}
    order by ${LINE_COLUMN}`;
  };
  const selectValid = select('no range');
  const selectValidGuarded = spec.columns.some((c) => TYPE_RULES[c.type]?.castGuardSql) ? select('guarded') : undefined;

  // The records the raw table did not take (an anti join on the line: the reasons are computed for
  // them only), each with its first failing column, its value and reason; JSON of the whole record
  // as JSON.stringify writes it (no spaces), and the natural key when every key field is filled. A
  // record left out with no reason (the two renderings disagreeing) is left out here too, and the
  // caller's count of read = loaded + rejected catches it.
  const failures = checked.map((x) => `(${x.i}, ${lit(spec.columns[x.i]!.name)}, ${valueOf(x.i)}, ${x.r})`).join(', ');
  const record = `'[' || ${fields.map((f) => `to_json(${f})::text`).join(` || ',' || `)} || ']'`;
  const keyFields = spec.primaryKey.map((k) => valueOf(spec.columns.findIndex((c) => c.name === k)));
  const key = keyFields.length ? `case when ${keyFields.map((f) => `${f} <> ''`).join(' and ')} then ${keyFields.join(` || '|' || `)} end` : 'null';
  const insertRejected = `insert into audit.rejected_rows (run_id, source, file_name, line, column_name, value, reason, record, record_key)
    select $1, $2, $3, t.${LINE_COLUMN}, f.c, f.v, f.r, ${record}, ${key}
      from ${source}
      cross join lateral (select c, v, r from (values ${failures || "(0, '', '', null::text)"}) x(i, c, v, r) where r is not null order by i limit 1) f
     where not exists (select 1 from ${tables.raw} v where v.${LINE_COLUMN} = t.${LINE_COLUMN})
     order by t.${LINE_COLUMN}`;
  return { selectValid, selectValidGuarded, insertRejected, ...(numberLines ? { numberLines } : {}) };
}

import { BRAZIL_STATES, type ColumnSpec, type ColumnType } from '../sources/index.ts';

/**
 * What a valid value of each column type looks like, written once and rendered twice: into the
 * JavaScript closures of the streaming validator (validate.ts) and into the SQL expressions of the
 * server-side validation (validateSql.ts). Patterns are written in the subset of regular-expression
 * syntax that JavaScript and PostgreSQL read the same way (`[0-9]` rather than `\d`, which
 * PostgreSQL may extend to non-ASCII digits; anchors; no flags).
 */
export interface TypeRule {
  /** The value must match this pattern (same text in both languages). */
  readonly pattern?: string;
  /**
   * And have exactly this many characters. Kept out of the pattern (`[0-9a-f]{32}`) because
   * PostgreSQL's regex engine pays for every repeated state: `length(v) = 32 and v ~ '^[0-9a-f]+$'`
   * runs 6x faster there, and means the same.
   */
  readonly length?: number;
  /** Or be one of these values. */
  readonly oneOf?: readonly string[];
  readonly reason: string;
  /**
   * A further check once the pattern matched (a date that exists): the same rule in both
   * languages. `sql` is an expression over the column's text `v`.
   */
  readonly also?: { readonly js: (v: string) => boolean; readonly sql: (v: string) => string };
  /** Numbers: the range is checked on the value as a double (JavaScript's Number, PostgreSQL's float8). */
  readonly numeric?: boolean;
  /**
   * SQL only: a cheaper test than the pattern that, for a value PostgreSQL's input function for the
   * column's type accepts, means the same; what it lets through and the pattern would refuse makes
   * that input function fail. Used for the valid rows of a file (validateSql.ts): if the statement
   * fails, the exact checks run instead, so a failure costs time, never a wrong row.
   */
  readonly castGuardSql?: (v: string) => string;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Day of month within the month's length (the pattern already bounds month 01-12, day 01-31, time). */
const dayExists = {
  js: (v: string): boolean => {
    const day = Number(v.slice(8, 10));
    if (day <= 28) return true;
    const month = Number(v.slice(5, 7));
    const year = Number(v.slice(0, 4));
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    return day <= (month === 2 && !leap ? 28 : DAYS_IN_MONTH[month - 1]!);
  },
  sql: (v: string): string => {
    const day = `substr(${v}, 9, 2)::int`;
    const year = `substr(${v}, 1, 4)::int`;
    const leap = `(${year} % 4 = 0 and ${year} % 100 <> 0 or ${year} % 400 = 0)`;
    return `(${day} <= 28 or ${day} <= case substr(${v}, 6, 2) when '02' then case when ${leap} then 29 else 28 end `
      + `when '04' then 30 when '06' then 30 when '09' then 30 when '11' then 30 else 31 end)`;
  },
};

export const TYPE_RULES: Record<ColumnType, TypeRule | undefined> = {
  id: { pattern: '^[0-9a-f]+$', length: 32, reason: 'not a 32-character lowercase hex id' },
  zip_prefix: { pattern: '^[0-9]+$', length: 5, reason: 'not a 5-digit zip code prefix' },
  state: { oneOf: BRAZIL_STATES, reason: 'not a Brazilian state code' },
  integer: {
    pattern: '^-?[0-9]{1,15}$',
    reason: 'not an integer',
    numeric: true,
    // The pattern without its bound on the digits, which PostgreSQL's regex engine pays for with a
    // state per repetition (half the cost): the longer numbers it lets through overflow the cast.
    castGuardSql: (v) => `${v} ~ '^-?[0-9]+$'`,
  },
  money: {
    pattern: '^-?[0-9]{1,10}([.][0-9]{1,2})?$',
    reason: 'not an amount with at most 2 decimals',
    numeric: true,
    // The same without the bound on the whole digits (the cast to numeric(12,2) refuses more than
    // ten); the decimals keep theirs, since the cast would round a third one away, not refuse it.
    castGuardSql: (v) => `${v} ~ '^-?[0-9]+([.][0-9][0-9]?)?$'`,
  },
  double: {
    pattern: '^-?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$',
    reason: 'not a number',
    numeric: true,
    // float8 input also takes spaces around the number, a leading +, NaN, Infinity and hexadecimal
    // (0x1p3): only the pattern's characters, not starting with +, leave only the pattern's forms,
    // and anything else made of them (1.2.3, 1e, -) fails the cast. A one-class regex costs half
    // the pattern's in PostgreSQL.
    castGuardSql: (v) => `${v} ~ '^[-+.0-9eE]+$' and ascii(${v}) <> 43`,
  },
  timestamp: {
    pattern: '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$',
    reason: 'not a timestamp YYYY-MM-DD HH:MM:SS',
    also: dayExists,
    // The value read as a timestamp and written back as text is the value itself only if it was
    // in the pattern's form and a real date and time (24:00:00 and a 60th second come back as the
    // next day or minute, a 'T' or a zone as another text); a text timestamp input refuses (an
    // impossible date, year 0) fails the cast. Written back with the ISO date style, which the
    // job's sessions set (JOB_SESSION_SETTINGS); with another one no value would pass and the rows
    // would not add up, which sends the file to the streaming path, never a wrong row. A third of
    // to_char's cost, a quarter of the pattern's. The CASE keeps the cast after the length test
    // whatever order PostgreSQL gives the conditions of a WHERE.
    castGuardSql: (v) => `case when length(${v}) = 19 then ${v}::timestamp::text = ${v} else false end`,
  },
  // Any text. (A NUL character, which PostgreSQL text cannot hold, is refused by the streaming
  // validator; it never reaches the server-side validation, whose COPY refuses the file.)
  text: undefined,
};

export const MISSING_REASON = 'required value is missing';
export const NUL_REASON = 'contains a NUL character';

export function valuesReason(values: readonly string[]): string {
  return `not one of ${[...new Set(values)].join(', ')}`;
}

export function rangeReason(col: ColumnSpec): string {
  return `out of range ${col.range?.min ?? '-inf'}..${col.range?.max ?? '+inf'}`;
}

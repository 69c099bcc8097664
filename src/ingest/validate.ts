import { BRAZIL_STATES, type ColumnSpec, type SourceSpec } from '../sources/index.ts';

/** Why a row was quarantined: the first column that failed and its value. */
export interface RowRejection {
  column: string;
  value: string;
  reason: string;
}

/** A validated field in COPY text format (`\N` for null), or the reason it is invalid. */
type FieldCheck = (value: string) => string | RowRejection;

export const COPY_NULL = '\\N';
const COPY_SPECIAL = /[\\\t\n\r]/;

/** Escapes a value for PostgreSQL's COPY text format. */
export function copyEscape(value: string): string {
  if (!COPY_SPECIAL.test(value)) return value;
  return value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

const ID = /^[0-9a-f]{32}$/;
const INTEGER = /^-?\d{1,15}$/;
const MONEY = /^-?\d{1,10}(\.\d{1,2})?$/;
const DOUBLE = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const ZIP_PREFIX = /^\d{5}$/;
const STATES: ReadonlySet<string> = new Set(BRAZIL_STATES);
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isValidTimestamp(m: RegExpExecArray): boolean {
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 59) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return day <= (month === 2 && !leap ? 28 : DAYS_IN_MONTH[month - 1]!);
}

/** Builds the check of one column from its spec, once, so the per-row path only runs closures. */
export function compileColumn(col: ColumnSpec): FieldCheck {
  const reject = (value: string, reason: string): RowRejection => ({ column: col.name, value, reason });
  const { min, max } = col.range ?? {};
  const inRange = (n: number) => (min === undefined || n >= min) && (max === undefined || n <= max);
  const rangeText = `${min ?? '-inf'}..${max ?? '+inf'}`;
  const allowed = col.values ? new Set(col.values) : undefined;

  let typed: FieldCheck;
  switch (col.type) {
    case 'id':
      typed = (v) => (ID.test(v) ? v : reject(v, 'not a 32-character lowercase hex id'));
      break;
    case 'zip_prefix':
      typed = (v) => (ZIP_PREFIX.test(v) ? v : reject(v, 'not a 5-digit zip code prefix'));
      break;
    case 'state':
      typed = (v) => (STATES.has(v) ? v : reject(v, 'not a Brazilian state code'));
      break;
    case 'integer':
    case 'money':
    case 'double': {
      const pattern = col.type === 'integer' ? INTEGER : col.type === 'money' ? MONEY : DOUBLE;
      const label = col.type === 'integer' ? 'an integer' : col.type === 'money' ? 'an amount with at most 2 decimals' : 'a number';
      typed = (v) => {
        if (!pattern.test(v)) return reject(v, `not ${label}`);
        return col.range && !inRange(Number(v)) ? reject(v, `out of range ${rangeText}`) : v;
      };
      break;
    }
    case 'timestamp':
      typed = (v) => {
        const m = TIMESTAMP.exec(v);
        return m && isValidTimestamp(m) ? v : reject(v, 'not a timestamp YYYY-MM-DD HH:MM:SS');
      };
      break;
    case 'text':
      // PostgreSQL text cannot hold NUL: COPY would fail the whole file, so the row is quarantined.
      typed = (v) => (v.includes('\0') ? reject(v, 'contains a NUL character') : copyEscape(v));
      break;
  }
  const withValues: FieldCheck = allowed
    ? (v) => (allowed.has(v) ? typed(v) : reject(v, `not one of ${[...allowed].join(', ')}`))
    : typed;
  return col.nullable
    ? (v) => (v === '' ? COPY_NULL : withValues(v))
    : (v) => (v === '' ? reject(v, 'required value is missing') : withValues(v));
}

export interface RowValidator {
  /** COPY text line (without the line number column) or the rejection. */
  (fields: readonly string[]): string | RowRejection;
}

/**
 * Compiles a spec into a row validator. `fieldIndex[i]` is the position in the record of the spec's
 * i-th column (from the header). A row is valid only if every column is: the first failure is its
 * quarantine reason.
 */
export function compileRowValidator(spec: SourceSpec, fieldIndex: readonly number[]): RowValidator {
  const checks = spec.columns.map(compileColumn);
  const width = fieldIndex.length;
  return (fields) => {
    let line = '';
    for (let i = 0; i < width; i++) {
      const at = fieldIndex[i]!;
      const out = checks[i]!(at < 0 ? '' : fields[at]!);
      if (typeof out !== 'string') return out;
      line = i === 0 ? out : `${line}\t${out}`;
    }
    return line;
  };
}

export function isRejection(x: string | RowRejection): x is RowRejection {
  return typeof x !== 'string';
}

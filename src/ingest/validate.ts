import type { ColumnSpec, SourceSpec } from '../sources/index.ts';
import { MISSING_REASON, NUL_REASON, rangeReason, TYPE_RULES, valuesReason } from './columnRules.ts';

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

/** Builds the check of one column from its spec (rules in columnRules.ts), once, so the per-row path only runs closures. */
export function compileColumn(col: ColumnSpec): FieldCheck {
  const reject = (value: string, reason: string): RowRejection => ({ column: col.name, value, reason });
  const rule = TYPE_RULES[col.type];
  const { min, max } = col.range ?? {};
  const inRange = (n: number) => (min === undefined || n >= min) && (max === undefined || n <= max);
  const outOfRange = rangeReason(col);
  const allowed = col.values ? new Set(col.values) : undefined;
  const notAllowed = col.values ? valuesReason(col.values) : '';

  let typed: FieldCheck;
  if (!rule) {
    // PostgreSQL text cannot hold NUL: COPY would fail the whole file, so the row is quarantined.
    typed = (v) => (v.includes('\0') ? reject(v, NUL_REASON) : copyEscape(v));
  } else {
    const pattern = rule.pattern ? new RegExp(rule.pattern) : undefined;
    const oneOf = rule.oneOf ? new Set(rule.oneOf) : undefined;
    const also = rule.also?.js;
    const length = rule.length;
    const ranged = rule.numeric && col.range !== undefined;
    typed = (v) => {
      if ((length !== undefined && v.length !== length) || (pattern && !pattern.test(v)) || (oneOf && !oneOf.has(v)) || (also && !also(v))) return reject(v, rule.reason);
      return ranged && !inRange(Number(v)) ? reject(v, outOfRange) : v;
    };
  }
  const withValues: FieldCheck = allowed ? (v) => (allowed.has(v) ? typed(v) : reject(v, notAllowed)) : typed;
  return col.nullable
    ? (v) => (v === '' ? COPY_NULL : withValues(v))
    : (v) => (v === '' ? reject(v, MISSING_REASON) : withValues(v));
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

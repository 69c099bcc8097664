/**
 * The small declarative grammar of quality tests, shared by SQL model headers
 * (`-- @test: ...`) and source specs (`checks: [...]`). Parsed once into `TestSpec`; the compiler
 * (compile.ts) turns each into one SQL query. Documented in docs/quality.md.
 *
 *   test     := kind '(' args ')' option* [ 'where' condition ]
 *   option   := name '=' ( bare-word | '"' text '"' )      -- severity, name, desc, tolerance
 *   kind     := not_null | unique | accepted_values | range | expression | relationships
 *             | reconcile | freshness | volume | scd2 | point_in_time
 *
 *   scd2(natural_key)                          -- a type 2 dimension's versions (valid_from,
 *                                                 valid_to, is_current) never overlap nor leave
 *                                                 gaps, and each key has exactly one current one
 *   point_in_time(fk -> dim at timestamp_col)  -- every row's version of dim (joined on fk) is
 *                                                 valid at the row's timestamp
 */

export type Severity = 'error' | 'warn';

export const TEST_KINDS = [
  'not_null', 'unique', 'accepted_values', 'range', 'expression', 'relationships', 'reconcile', 'freshness', 'volume',
  'scd2', 'point_in_time',
] as const;
export type TestKind = (typeof TEST_KINDS)[number];

/** A relation named by a test: a model (`ref`) or a source's raw table (`source`). */
export interface RelationRef {
  type: 'ref' | 'source' | 'auto';
  name: string;
}

export interface Aggregate {
  /** SQL aggregate expression, e.g. `count(*)`, `sum(price + freight_value)`. */
  sql: string;
}

export type TestBody =
  | { kind: 'not_null'; columns: string[] }
  | { kind: 'unique'; columns: string[] }
  | { kind: 'accepted_values'; column: string; values: string[] }
  | { kind: 'range'; column: string; min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean }
  | { kind: 'expression'; sql: string }
  | { kind: 'relationships'; columns: string[]; target: RelationRef; targetColumns: string[] }
  | { kind: 'reconcile'; left: Aggregate; right: Aggregate; target: RelationRef; targetWhere?: string; by: string[] }
  | { kind: 'freshness'; column: string; maxAgeDays: number }
  | { kind: 'volume'; sd?: number; bandPct?: number }
  | { kind: 'scd2'; columns: string[] }
  | { kind: 'point_in_time'; column: string; target: RelationRef; at: string };

export type TestSpec = TestBody & {
  /** The text as written, for messages and docs. */
  text: string;
  /** The rule alone (kind, args, severity, where; no name/desc), shown to engineers in results. */
  rule: string;
  severity?: Severity;
  name?: string;
  desc?: string;
  /** Allowed absolute difference for `reconcile` (default 0). */
  tolerance?: number;
  /** Only rows matching this SQL condition are tested. */
  where?: string;
};

export class TestSyntaxError extends Error {}

const IDENT = /^[a-z_][a-z0-9_]*$/;
const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);

function columns(s: string, text: string): string[] {
  const cols = list(s);
  if (cols.length === 0) throw new TestSyntaxError(`'${text}': needs at least one column`);
  for (const c of cols) if (!IDENT.test(c)) throw new TestSyntaxError(`'${text}': '${c}' is not a column name`);
  return cols;
}

/** Finds the parenthesis closing the one at `open`, ignoring parentheses inside quotes. */
function closingParen(s: string, open: number): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = open; i < s.length; i++) {
    const ch = s[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return i;
  }
  return -1;
}

function relation(s: string, text: string): RelationRef {
  const m = /^(ref|source)\(\s*'([a-z0-9_]+)'\s*\)$/.exec(s.trim());
  if (m) return { type: m[1] as 'ref' | 'source', name: m[2]! };
  if (IDENT.test(s.trim())) return { type: 'auto', name: s.trim() };
  throw new TestSyntaxError(`'${text}': '${s}' must be ref('model'), source('name') or a bare model/source name`);
}

function aggregate(s: string, text: string): Aggregate {
  const t = s.trim();
  if (t === 'count' || t === 'count(*)') return { sql: 'count(*)' };
  if (/^(count|sum|min|max|avg)\s*\(.+\)$/s.test(t)) return { sql: t };
  throw new TestSyntaxError(`'${text}': '${t}' must be an aggregate: count, count(...), sum(...), min(...), max(...) or avg(...)`);
}

function number(s: string, text: string): number {
  const n = Number(s.trim());
  if (s.trim() === '' || !Number.isFinite(n)) throw new TestSyntaxError(`'${text}': '${s}' is not a number`);
  return n;
}

function parseRange(args: string, text: string): TestBody {
  const between = /^([a-z_][a-z0-9_]*)\s+between\s+(\S+)\s+and\s+(\S+)$/i.exec(args);
  if (between) return { kind: 'range', column: between[1]!, min: number(between[2]!, text), max: number(between[3]!, text) };
  const dots = /^([a-z_][a-z0-9_]*)\s+(-?[0-9.]+)\s*\.\.\s*(-?[0-9.]+)$/.exec(args);
  if (dots) return { kind: 'range', column: dots[1]!, min: number(dots[2]!, text), max: number(dots[3]!, text) };
  const body: { kind: 'range'; column: string; min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean } = { kind: 'range', column: '' };
  for (const part of args.split(/\s+and\s+/i)) {
    const m = /^([a-z_][a-z0-9_]*)\s*(>=|>|<=|<)\s*(-?[0-9.]+)$/.exec(part.trim());
    if (!m) throw new TestSyntaxError(`'${text}': range must look like 'col >= 0', 'col between 1 and 5', 'col 1..5' or 'col > 0 and col < 10'`);
    if (body.column && body.column !== m[1]) throw new TestSyntaxError(`'${text}': a range tests one column`);
    body.column = m[1]!;
    const v = number(m[3]!, text);
    if (m[2]!.startsWith('>')) Object.assign(body, { min: v, minExclusive: m[2] === '>' });
    else Object.assign(body, { max: v, maxExclusive: m[2] === '<' });
  }
  return body;
}

const DAYS: Record<string, number> = { hour: 1 / 24, hours: 1 / 24, day: 1, days: 1, week: 7, weeks: 7 };

function parseBody(kind: TestKind, args: string, text: string): TestBody {
  switch (kind) {
    case 'not_null':
    case 'unique':
      return { kind, columns: columns(args, text) };
    case 'accepted_values': {
      const m = /^([a-z_][a-z0-9_]*)\s*:\s*(.+)$/s.exec(args);
      if (!m) throw new TestSyntaxError(`'${text}': accepted_values must look like 'col: a, b, c'`);
      const values = list(m[2]!).map((v) => v.replace(/^'(.*)'$/, '$1'));
      return { kind, column: m[1]!, values };
    }
    case 'range':
      return parseRange(args, text);
    case 'expression':
      if (!args.trim()) throw new TestSyntaxError(`'${text}': expression needs a condition`);
      return { kind, sql: args.trim() };
    case 'relationships': {
      const m = /^([a-z0-9_,\s]+?)\s*->\s*(.+?)\s*\(([a-z0-9_,\s]+)\)$/.exec(args.trim());
      if (!m) throw new TestSyntaxError(`'${text}': relationships must look like 'col -> model(col)'`);
      const target = relation(m[2]!, text);
      const cols = columns(m[1]!, text);
      const targetCols = columns(m[3]!, text);
      if (cols.length !== targetCols.length) throw new TestSyntaxError(`'${text}': as many columns on both sides`);
      return { kind, columns: cols, target, targetColumns: targetCols };
    }
    case 'reconcile': {
      // left = right [of relation] [where cond] [by cols]   |   count = ref('x') [by cols]
      const by = /\s+by\s+([a-z0-9_,\s]+)$/.exec(args);
      const rest = by ? args.slice(0, by.index) : args;
      const eq = rest.indexOf('=');
      if (eq < 0) throw new TestSyntaxError(`'${text}': reconcile must look like "count = ref('model')" or "sum(a) = sum(b) of ref('model')"`);
      const left = aggregate(rest.slice(0, eq), text);
      const rhs = rest.slice(eq + 1).trim();
      const of = /^(.+?)\s+of\s+((?:ref|source)\(\s*'[a-z0-9_]+'\s*\)|[a-z_][a-z0-9_]*)(?:\s+where\s+(.+))?$/s.exec(rhs);
      if (of) {
        return { kind, left, right: aggregate(of[1]!, text), target: relation(of[2]!, text), targetWhere: of[3]?.trim(), by: by ? columns(by[1]!, text) : [] };
      }
      const bare = /^((?:ref|source)\(\s*'[a-z0-9_]+'\s*\))(?:\s+where\s+(.+))?$/s.exec(rhs);
      if (!bare) throw new TestSyntaxError(`'${text}': the right side must be "ref('model')" or "<aggregate> of ref('model')"`);
      return { kind, left, right: { sql: left.sql }, target: relation(bare[1]!, text), targetWhere: bare[2]?.trim(), by: by ? columns(by[1]!, text) : [] };
    }
    case 'freshness': {
      const m = /^([a-z_][a-z0-9_]*)\s*,\s*([0-9.]+)\s*([a-z]+)$/.exec(args.trim());
      if (!m || DAYS[m[3]!] === undefined) throw new TestSyntaxError(`'${text}': freshness must look like 'col, 3 days'`);
      return { kind, column: m[1]!, maxAgeDays: number(m[2]!, text) * DAYS[m[3]!]! };
    }
    case 'scd2':
      return { kind, columns: columns(args, text) };
    case 'point_in_time': {
      const m = /^([a-z_][a-z0-9_]*)\s*->\s*(.+?)\s+at\s+([a-z_][a-z0-9_]*)$/.exec(args.trim());
      if (!m) throw new TestSyntaxError(`'${text}': point_in_time must look like 'seller_key -> sellers_dim at purchased_at'`);
      return { kind, column: m[1]!, target: relation(m[2]!, text), at: m[3]! };
    }
    case 'volume': {
      if (!args.trim()) return { kind };
      const sd = /^sd\s*=\s*([0-9.]+)$/.exec(args.trim());
      if (sd) return { kind, sd: number(sd[1]!, text) };
      const band = /^band\s*=\s*([0-9.]+)\s*%$/.exec(args.trim());
      if (band) return { kind, bandPct: number(band[1]!, text) };
      throw new TestSyntaxError(`'${text}': volume takes 'sd=3' or 'band=20%'`);
    }
  }
}

const OPTION = /^\s*([a-z_]+)=("([^"]*)"|[^\s"]+)/;

/** Parses one test, e.g. `not_null(order_id) severity=warn where order_status = 'delivered'`. */
export function parseTest(text: string): TestSpec {
  const t = text.trim();
  const head = /^([a-z_][a-z0-9_]*)\s*\(/.exec(t);
  if (!head) throw new TestSyntaxError(`'${t}': a test looks like kind(args), e.g. not_null(order_id)`);
  const kind = head[1] as TestKind;
  if (!TEST_KINDS.includes(kind)) throw new TestSyntaxError(`'${t}': unknown test '${kind}' (one of ${TEST_KINDS.join(', ')})`);
  const open = head[0].length - 1;
  const close = closingParen(t, open);
  if (close < 0) throw new TestSyntaxError(`'${t}': unbalanced parentheses`);
  const spec = { ...parseBody(kind, t.slice(open + 1, close).trim(), t), text: t, rule: t } as TestSpec;
  let rest = t.slice(close + 1);
  for (let m = OPTION.exec(rest); m; m = OPTION.exec(rest)) {
    const value = m[3] ?? m[2]!;
    switch (m[1]) {
      case 'severity':
        if (value !== 'error' && value !== 'warn') throw new TestSyntaxError(`'${t}': severity must be error or warn`);
        spec.severity = value;
        break;
      case 'name':
        if (!/^[a-z0-9_.]+$/.test(value)) throw new TestSyntaxError(`'${t}': name must be lower-case letters, digits, _ or .`);
        spec.name = value;
        break;
      case 'desc': spec.desc = value; break;
      case 'tolerance': spec.tolerance = number(value, t); break;
      default: throw new TestSyntaxError(`'${t}': unknown option '${m[1]}' (severity, name, desc, tolerance)`);
    }
    rest = rest.slice(m[0].length);
  }
  rest = rest.trim();
  if (rest) {
    const w = /^where\s+(.+)$/s.exec(rest);
    if (!w) throw new TestSyntaxError(`'${t}': unexpected '${rest}' (options go before 'where')`);
    spec.where = w[1]!.trim();
  }
  spec.rule = `${t.slice(0, close + 1)}${spec.severity ? ` severity=${spec.severity}` : ''}${spec.tolerance !== undefined ? ` tolerance=${spec.tolerance}` : ''}${spec.where ? ` where ${spec.where}` : ''}`;
  return spec;
}

import type { Severity } from './grammar.ts';

export type { Severity } from './grammar.ts';
export type CheckLayer = 'raw' | 'staging' | 'warehouse' | 'marts';
export type CheckStatus = 'pass' | 'fail' | 'warn';

/** What a check is, independent of any run. */
export interface CheckMeta {
  /** Stable name (trends are keyed by it), e.g. `stg_orders.not_null.customer_id`. */
  name: string;
  layer: CheckLayer;
  /** Table checked, e.g. `orders` (raw) or `stg_orders`. */
  target: string;
  kind: string;
  severity: Severity;
  /** Plain-language statement of what must hold. */
  description: string;
  /** The declarative rule as written (or derived from the spec), for engineers. */
  rule: string;
  /** Where the check is declared (spec or model file), so it is fixed where it lives. */
  declaredIn: string;
  /**
   * The other side of a reconciliation: a feed batch that changed it runs the check even when it
   * did not touch the target (a scope that forgot a partition, and with it every row the batch
   * should have rewritten in the target, is what a reconciliation is there to catch).
   */
  reads?: string;
}

export interface CheckOutcome {
  failingRows: number;
  sample: string[];
  note?: string;
  details?: Record<string, unknown>;
}

/** The keys of the rows a feed batch wrote in one table (a temporary table of its transaction). */
export interface TouchedKeys {
  table: string;
  columns: string[];
  /** The batch only upserted rows by these keys: no key of the table disappeared. */
  keysKept?: boolean;
}

/** Everything a check query needs at run time. */
export interface CheckEnv {
  /** Qualified table of a relation: a model (`ref`) or a source's raw table. */
  table(rel: { type: 'ref' | 'source' | 'auto'; name: string }): string;
  /** The run's logical date (YYYY-MM-DD): OLIST_LOGICAL_DATE, a feed batch's day, or the newest purchase date. */
  logicalDate: string;
  logicalDateSource: 'configured' | 'batch' | 'newest purchase';
  /** The run whose file loads produced the raw layer being checked (null: none recorded). */
  loadRunId: number | null;
  /**
   * The raw layer was loaded by the gate's own run (same code, same specs), so the rows that load
   * wrote were validated by the spec a moment ago: the raw contract rules only evaluate the rows
   * written or changed since (compile.ts fuse). False for `olist check` and for feed batches.
   */
  validatedLoad: boolean;
  /**
   * Feed batches only: the keys of the rows the batch touched in a table (a temporary table of the
   * batch's transaction), when known. Error-level row and uniqueness checks then look at those rows
   * only: the rest of the table passed the gate of the batch (or load) that last changed it.
   */
  touched?(rel: { type: 'ref' | 'source' | 'auto'; name: string }): TouchedKeys | undefined;
  /** Feed batches only: true when the batch did not change the table at all. */
  unchanged?(rel: { type: 'ref' | 'source' | 'auto'; name: string }): boolean;
  /**
   * Feed batches only: an aggregate of a table over the rows the batch took out of it and put into
   * it, when the writer measured it exactly (src/transform/deltas.ts), for CheckJob.measures.
   */
  delta?(rel: { type: 'ref' | 'source' | 'auto'; name: string }, expr: string): { before: string; after: string } | undefined;
  /**
   * Feed batches only: a check's failing rows in the warehouse as the batch found it (the result of
   * the last gate that ran it: the latest publication's, or a later batch's), when its rule is the
   * same as now.
   */
  previous?(check: CheckMeta): { failingRows: number; details: Record<string, unknown> | null } | undefined;
  /**
   * Feed batches only: the rows the batch removed from a table and added to it (relations with at
   * least the columns a job's `keeps` asked for), when its writer kept them.
   */
  moved?(rel: { type: 'ref' | 'source' | 'auto'; name: string }): { removed: string; added: string } | undefined;
}

export interface Queryable {
  query<R extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

/** One unit of work for the runner: a query (or a few) producing the outcomes of one or more checks. */
export interface CheckJob {
  checks: CheckMeta[];
  run(q: Queryable, env: CheckEnv): Promise<CheckOutcome[]>;
  /** Rough cost, to start the heavy jobs first. */
  weight?: number;
  /** Aggregates (of a table, by name) a feed batch's writers measure for this job's CheckEnv.delta. */
  measures?: { table: string; expr: string }[];
  /** Columns of the rows a feed batch's writers remove from and add to a table, kept for CheckEnv.moved. */
  keeps?: { table: string; columns: string[] }[];
}

export interface CheckResult extends CheckMeta {
  status: CheckStatus;
  failingRows: number;
  sample: string[];
  note?: string;
  details?: Record<string, unknown>;
  durationMs: number;
}

export interface GateOutcome {
  passed: boolean;
  results: CheckResult[];
  failedErrors: string[];
  logicalDate: string;
  durationMs: number;
}

export const SAMPLE_SIZE = 10;

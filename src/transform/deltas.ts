/**
 * What a feed batch took out of a table and put into it, as aggregates: the gate proves a
 * reconciliation (`sum(gmv) = sum(item_total) of ref('orders_fact')`) from the batch's change alone.
 *
 * The totals of both sides were equal after the last batch (its gate passed), and a batch changes a
 * table only through the rows it deletes and inserts, so the totals stay equal exactly when both
 * sides changed by the same amount. Summing a day's few thousand written rows replaces scanning two
 * whole tables, whose size grows with the warehouse, not with the day.
 *
 * The writer records, for each aggregate the gate asked for, its value over the rows that left the
 * table (`before`) and over the rows that came (`after`): the deleted and inserted rows of a
 * recomputed partition (src/transform/incremental.ts), or a table's rows of the changed keys before
 * and after the raw merge (src/feed/apply.ts). Only sums and counts of exact (integer, numeric)
 * values add up this way; any other aggregate, or a table no writer measured, is computed whole.
 */
import type { Client } from '../db/connection.ts';

export interface Measured {
  before: string;
  after: string;
}

/** PostgreSQL types whose sums are exact, so that a total is its parts' sum to the last digit. */
const EXACT = new Set(['bigint', 'integer', 'smallint', 'numeric']);

/** Where a batch's writer left the rows it took out of a table and put into it (qualified relations). */
export interface MovedRows {
  removed: string;
  added: string;
}

/** What the gate asks a batch's writers for, per table (model, source or history table name). */
export interface BatchWants {
  /** Aggregate expressions to measure over the rows removed and added. */
  exprs: ReadonlyMap<string, readonly string[]>;
  /**
   * Columns of the rows removed and added to keep until the gate: a count that is not a sum of
   * rows (the duplicated keys of a uniqueness warning) is carried forward from the groups of those
   * values alone (src/quality/compile.ts).
   */
  columns: ReadonlyMap<string, readonly string[]>;
}

export class BatchDeltas {
  private readonly values = new Map<string, Map<string, Measured>>();
  private readonly moved = new Map<string, MovedRows>();

  constructor(private readonly wanted: BatchWants) {}

  /** The aggregates to measure on a table (none: nothing to do). */
  exprs(table: string): readonly string[] {
    return this.wanted.exprs.get(table) ?? [];
  }

  /** The columns of a table's removed and added rows to keep (none: nothing to keep). */
  columns(table: string): readonly string[] {
    return this.wanted.columns.get(table) ?? [];
  }

  /** Records where a writer kept a table's removed and added rows (with at least columns(table)). */
  keepRows(table: string, rows: MovedRows): void {
    // written twice in one batch (no writer does): not carried, counted whole, never wrong
    this.moved.set(table, this.moved.has(table) ? { removed: '', added: '' } : rows);
  }

  /** A table's removed and added rows, when its writer kept them. */
  rows(table: string): MovedRows | undefined {
    const r = this.moved.get(table);
    return r && r.removed ? r : undefined;
  }

  /**
   * The select list measuring a table's aggregates over some rows (named `t`, as the checks name
   * the rows of their table): each value as numeric text
   * (an empty set sums to 0) and its type (a float's sum is not exact: not recorded).
   */
  selectList(table: string): string {
    return this.exprs(table).flatMap((e, i) => [`coalesce((${e}), 0)::numeric::text as d${i}`, `pg_typeof(${e})::text as t${i}`]).join(', ');
  }

  /** Records a table's aggregates over the rows it lost (before) and gained (after), from two rows of selectList. */
  record(table: string, before: Record<string, unknown>, after: Record<string, unknown>): void {
    // A table written twice in one batch (no writer does) is not measured: computed whole, never wrong.
    if (this.values.has(table)) {
      this.values.set(table, new Map());
      return;
    }
    const mine = new Map<string, Measured>();
    this.exprs(table).forEach((e, i) => {
      if (EXACT.has(String(before[`t${i}`]))) mine.set(e, { before: String(before[`d${i}`]), after: String(after[`d${i}`]) });
    });
    this.values.set(table, mine);
  }

  /** A table's aggregates over some of its rows (`from`: a from-clause naming them `t`, with any where). */
  async measure(client: Pick<Client, 'query'>, table: string, from: string): Promise<Record<string, unknown>> {
    const { rows } = await client.query<Record<string, unknown>>(`select ${this.selectList(table)} from ${from}`);
    return rows[0]!;
  }

  /** What the batch changed an aggregate of a table by, when it was measured exactly. */
  get(table: string, expr: string): Measured | undefined {
    return this.values.get(table)?.get(expr);
  }
}

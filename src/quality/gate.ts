import type { Pool } from '../db/connection.ts';
import type { Logger } from '../log.ts';
import { RAW_BUILD_SCHEMA, RAW_SCHEMA } from '../ingest/ingest.ts';
import { buildSchema } from '../transform/build.ts';

export type Severity = 'error' | 'warn';

export interface CheckResult {
  check: string;
  layer: string;
  severity: Severity;
  status: 'pass' | 'fail' | 'warn';
  failingRows: number;
  sample: string[];
  description: string;
  durationMs: number;
}

export interface GateOutcome {
  passed: boolean;
  results: CheckResult[];
  failedErrors: string[];
}

/** Schema names a check reads, resolved for the staged build or the published warehouse. */
export interface Schemas {
  raw: string;
  staging: string;
  warehouse: string;
  marts: string;
}

export function schemasFor(staged: boolean): Schemas {
  return staged
    ? { raw: RAW_BUILD_SCHEMA, staging: buildSchema('staging'), warehouse: buildSchema('warehouse'), marts: buildSchema('marts') }
    : { raw: RAW_SCHEMA, staging: 'staging', warehouse: 'warehouse', marts: 'marts' };
}

interface CheckDef {
  name: string;
  layer: string;
  severity: Severity;
  description: string;
  /** Returns the failing keys (as text): an empty result passes. */
  sql: (s: Schemas) => string;
}

/** Row-count reconciliation between layers: a row that vanished between layers fails the gate. */
const CHECKS: CheckDef[] = [
  {
    name: 'reconcile_order_items_to_fact',
    layer: 'warehouse',
    severity: 'error',
    description: 'Every staged order item is in orders_fact (fact items = staging items).',
    sql: (s) => `select concat(i.order_id, '#', i.order_item_id) from ${s.staging}.stg_order_items i
                 left join ${s.warehouse}.orders_fact f using (order_id, order_item_id) where f.order_id is null`,
  },
  {
    name: 'reconcile_orders_to_fulfillment',
    layer: 'warehouse',
    severity: 'error',
    description: 'Every staged order has one row in order_fulfillment_fact.',
    sql: (s) => `select o.order_id from ${s.staging}.stg_orders o
                 left join ${s.warehouse}.order_fulfillment_fact f using (order_id) where f.order_id is null`,
  },
  {
    name: 'reconcile_gmv_fact_to_daily_revenue',
    layer: 'marts',
    severity: 'error',
    description: 'Total GMV of daily_revenue equals the revenue items of orders_fact.',
    sql: (s) => `select 'fact ' || f.gmv || ' vs mart ' || m.gmv from
                   (select coalesce(sum(price + freight_value), 0) gmv from ${s.warehouse}.orders_fact
                     where order_status not in ('canceled', 'unavailable')) f,
                   (select coalesce(sum(gmv), 0) gmv from ${s.marts}.daily_revenue) m
                 where f.gmv <> m.gmv`,
  },
];

const SAMPLE = 10;

/**
 * Runs the checks and stores each result in audit.quality_results. `passed` is false when an
 * error-level check fails: the caller must not publish.
 */
export async function runQualityGate(pool: Pool, opts: { runId: number; staged: boolean; log: Logger }): Promise<GateOutcome> {
  const schemas = schemasFor(opts.staged);
  const results: CheckResult[] = [];
  for (const def of CHECKS) {
    const started = performance.now();
    const { rows } = await pool.query<{ key: string; total: string }>(
      `with failing as (${def.sql(schemas)}) select (array_agg(f::text))[1:${SAMPLE}]::text[] as keys, count(*) as total from failing f`,
    ).then((r) => ({ rows: r.rows as unknown as { keys: string[] | null; total: string }[] }));
    const failing = Number(rows[0]?.total ?? 0);
    const status = failing === 0 ? 'pass' : def.severity === 'error' ? 'fail' : 'warn';
    results.push({
      check: def.name, layer: def.layer, severity: def.severity, status, failingRows: failing,
      sample: (rows[0]?.keys ?? []).map(String), description: def.description,
      durationMs: Math.round(performance.now() - started),
    });
  }
  for (const r of results) {
    await pool.query(
      `insert into audit.quality_results (run_id, check_name, layer, severity, status, failing_rows, sample_keys, description, duration_ms)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [opts.runId, r.check, r.layer, r.severity, r.status, r.failingRows, JSON.stringify(r.sample), r.description, r.durationMs],
    );
    opts.log.info({ check: r.check, status: r.status, failing_rows: r.failingRows, ms: r.durationMs }, 'quality check');
  }
  const failedErrors = results.filter((r) => r.status === 'fail').map((r) => `${r.check} (${r.failingRows} failing)`);
  return { passed: failedErrors.length === 0, results, failedErrors };
}

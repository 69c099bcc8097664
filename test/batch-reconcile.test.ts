/**
 * A feed batch proves a reconciliation from its change (src/transform/deltas.ts): the writers of
 * the three strategies (partitions, additive, whole; src/transform/incremental.ts) measure the rows
 * they take out and put in, and the reconciliation compares the two sides' changes. On a real
 * PostgreSQL, with small models: a correct batch passes and says what it compared; a model whose
 * scope misses a partition fails, as it fails when both tables are summed whole; an aggregate that
 * does not add up (a distinct count) is computed whole.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { collectChecks, batchMeasures } from '../src/quality/gate.ts';
import type { CheckEnv, CheckOutcome } from '../src/quality/types.ts';
import { compileModel } from '../src/transform/build.ts';
import { BatchDeltas } from '../src/transform/deltas.ts';
import { applyModels, collectScopesBefore, createTouchedTables } from '../src/transform/incremental.ts';
import { parseModel, sortByDependencies, type Model } from '../src/transform/models.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';

/** Partitioned by order; `missing` names an order its scope forgets (a broken scope). */
const parts = (missing: string) => parseModel('batch_parts.sql', 'marts', [
  '-- @primary_key: order_id, route',
  '-- @incremental: order_id',
  `-- @incremental_scope: select order_id from {{ changed('batch_lines') }} where order_id <> '${missing}'`,
  "-- @test: reconcile(sum(amount) = sum(amount) of ref('batch_totals')) name=batch_parts.reconcile.amount",
  "-- @test: reconcile(count(distinct route) = count of ref('batch_totals')) name=batch_parts.reconcile.routes",
  "select order_id, route, count(*)::int as lines, sum(amount)::numeric(12,2) as amount from {{ source('batch_lines') }} group by order_id, route",
].join('\n'));
// additive over the partitions
const ROUTES = parseModel('batch_routes.sql', 'marts', [
  '-- @primary_key: route',
  '-- @incremental_additive: batch_parts',
  "-- @test: reconcile(sum(amount) = sum(amount) of ref('batch_parts')) name=batch_routes.reconcile.amount",
  "-- @test: reconcile(sum(lines) = sum(lines) of ref('batch_parts') where route <> 'x') name=batch_routes.reconcile.lines where route <> 'x'",
  "select route, count(*)::int as orders, sum(lines)::int as lines, sum(amount)::numeric(12,2) as amount from {{ ref('batch_parts') }} group by route",
].join('\n'));
// recomputed whole, straight from the raw lines
const TOTALS = parseModel('batch_totals.sql', 'marts', [
  '-- @primary_key: route',
  "select route, sum(amount)::numeric(12,2) as amount from {{ source('batch_lines') }} group by route",
].join('\n'));

describe('a batch proves its reconciliations from what it wrote', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let client: pg.PoolClient;
  before(async () => {
    db = await createTestDatabase('batch_reconcile');
    pool = new pg.Pool({ connectionString: db.url, max: 1 });
    client = await pool.connect();
    await client.query(`create schema raw; create schema marts;
      create table raw.batch_lines (order_id text not null, route text not null, amount numeric(10,2) not null);
      insert into raw.batch_lines values ('o1', 'a', 10.00), ('o1', 'a', 2.50), ('o2', 'a', 5.00), ('o3', 'b', 7.00)`);
  });
  after(async () => {
    client?.release();
    await pool?.end();
    await db?.drop();
  });

  /** Builds the models from scratch, applies one batch (o2 costs one more, o4 arrives) and runs the reconciliations. */
  async function batch(missing: string): Promise<{ byName: Map<string, CheckOutcome>; delta: BatchDeltas }> {
    const models: Model[] = sortByDependencies([ROUTES, parts(missing), TOTALS]);
    const byName = new Map(models.map((m) => [m.name, m]));
    await client.query('drop table if exists marts.batch_routes, marts.batch_parts, marts.batch_totals');
    await client.query("delete from raw.batch_lines where order_id in ('o2', 'o4'); insert into raw.batch_lines values ('o2', 'a', 5.00)");
    for (const m of models) {
      await client.query(`create table marts.${m.name} as ${compileModel(m, byName, 'raw', (layer) => layer)}; alter table marts.${m.name} add primary key (${m.primaryKey!.join(', ')})`);
    }
    await client.query('begin');
    await client.query("create schema if not exists feed_work; create table feed_work.changed_batch_lines as select unnest(array['o2', 'o4']) as order_id");
    await createTouchedTables(client, models);
    await collectScopesBefore(client, models);
    await client.query("update raw.batch_lines set amount = 6.00 where order_id = 'o2'; insert into raw.batch_lines values ('o4', 'c', 1.25)");
    const delta = new BatchDeltas(await batchMeasures({ sources: [], models }));
    const changes = await applyModels(client, models, new Set(['batch_lines']), delta);
    const changed = new Set(changes.filter((c) => c.touched > 0).map((c) => c.model));
    const env: CheckEnv = {
      table: (rel) => `marts.${rel.name}`,
      logicalDate: '2018-01-01', logicalDateSource: 'configured', loadRunId: null, validatedLoad: false,
      touched: () => undefined,
      unchanged: (rel) => !changed.has(rel.name),
      delta: (rel, expr) => delta.get(rel.name, expr),
    };
    const outcomes = new Map<string, CheckOutcome>();
    for (const job of (await collectChecks({ sources: [], models })).filter((j) => j.checks.every((c) => c.kind === 'reconcile'))) {
      const out = await job.run(client, env);
      job.checks.forEach((c, i) => outcomes.set(c.name, out[i]!));
    }
    return { byName: outcomes, delta };
  }

  test('a correct batch passes each reconciliation on the change of both sides; a distinct count is computed whole', async () => {
    const { byName, delta } = await batch('none');
    assert.deepEqual(delta.get('batch_parts', 'sum(amount)'), { before: '5.00', after: '7.25' }, 'o2 left at 5.00 and came back at 6.00; o4 came at 1.25');
    assert.deepEqual(delta.get('batch_totals', 'sum(amount)'), { before: '17.50', after: '19.75' }, 'routes a (17.50 -> 18.50) and c (new, 1.25) differ');
    assert.deepEqual(delta.get('batch_routes', 'sum(amount)'), { before: '17.50', after: '19.75' }, 'the groups the additive update changed (a, c), before and after it');
    for (const name of ['batch_parts.reconcile.amount', 'batch_routes.reconcile.amount', 'batch_routes.reconcile.lines']) {
      const o = byName.get(name)!;
      assert.equal(o.failingRows, 0, `${name}: ${o.sample.join('; ')}`);
      assert.match(o.note ?? '', /this batch changed .* by 2\.25 and .* by 2\.25: checked on the batch's change|this batch changed .* by 1 and .* by 1: checked on the batch's change/, name);
    }
    const routes = byName.get('batch_parts.reconcile.routes')!;
    assert.equal(routes.failingRows, 0);
    assert.equal(routes.note, undefined, 'a distinct count does not add up: both tables counted whole');
    await client.query('rollback');
  });

  test('a uniqueness warning is carried by the groups of the key values the batch removed and added, equal to a whole count', async () => {
    const ORDERS = parseModel('batch_orders.sql', 'marts', [
      '-- @primary_key: order_id',
      '-- @incremental: order_id',
      "-- @incremental_scope: select order_id from {{ changed('batch_lines') }}",
      '-- @test: unique(route) severity=warn name=batch_orders.shared_routes',
      "select order_id, min(route) as route from {{ source('batch_lines') }} group by order_id",
    ].join('\n'));
    const models = [ORDERS];
    await client.query('drop table if exists marts.batch_orders');
    await client.query(`create table marts.batch_orders as ${compileModel(ORDERS, new Map([[ORDERS.name, ORDERS]]), 'raw', (layer) => layer)}; alter table marts.batch_orders add primary key (order_id)`);
    const job = (await collectChecks({ sources: [], models })).find((j) => j.checks.some((c) => c.name === 'batch_orders.shared_routes'))!;
    const whole: CheckEnv = { table: (rel) => `marts.${rel.name}`, logicalDate: '2018-01-01', logicalDateSource: 'configured', loadRunId: null, validatedLoad: false };
    const [last] = await job.run(client, whole);
    assert.deepEqual([last!.failingRows, last!.details], [1, { rows: 2 }], 'o1 and o2 share route a');

    await client.query('begin');
    await client.query("create schema if not exists feed_work; create table feed_work.changed_batch_lines as select unnest(array['o2', 'o4']) as order_id");
    const delta = new BatchDeltas(await batchMeasures({ sources: [], models }));
    await createTouchedTables(client, models, delta);
    await collectScopesBefore(client, models);
    // o2 leaves route a for c (a is no longer shared), o4 arrives on b (b now is)
    await client.query("update raw.batch_lines set route = 'c' where order_id = 'o2'; insert into raw.batch_lines values ('o4', 'b', 1.25)");
    await applyModels(client, models, new Set(['batch_lines']), delta);
    const [carried] = await job.run(client, {
      ...whole,
      moved: (rel) => delta.rows(rel.name),
      previous: () => ({ failingRows: last!.failingRows, details: last!.details ?? null }),
    });
    const [now] = await job.run(client, whole);
    assert.match(carried!.note ?? '', /^1 duplicated key\(s\) in the table: 1 after the last gate, \+1 -1 in the rows this batch wrote/);
    assert.deepEqual([carried!.failingRows, carried!.details?.rows, carried!.sample], [now!.failingRows, now!.details?.rows, now!.sample]);
    assert.deepEqual(now!.sample, ['b (2 rows)']);
    await client.query('rollback');
    await client.query('drop table marts.batch_orders');
  });

  test('a scope that misses a partition fails the reconciliation on the change, as it fails whole', async () => {
    const { byName } = await batch('o2');
    const o = byName.get('batch_parts.reconcile.amount')!;
    assert.equal(o.failingRows, 1);
    assert.deepEqual(o.sample, ["this batch changed batch_parts sum(amount) by 1.25 and batch_totals sum(amount) by 2.25 (equal before it)"]);
    const { rows: [whole] } = await client.query<{ parts: string; totals: string }>('select (select sum(amount) from marts.batch_parts)::text as parts, (select sum(amount) from marts.batch_totals)::text as totals');
    assert.deepEqual(whole, { parts: '25.75', totals: '26.75' }, 'the whole tables disagree by the same 1.00');
    // the additive model follows what its ref wrote: it agrees with the (wrong) partitions
    assert.equal(byName.get('batch_routes.reconcile.amount')!.failingRows, 0);
    await client.query('rollback');
  });
});

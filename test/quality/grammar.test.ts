import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseTest, TestSyntaxError } from '../../src/quality/grammar.ts';
import { modelChecks } from '../../src/quality/modelChecks.ts';
import { sourceChecks } from '../../src/quality/sourceChecks.ts';
import { fuse } from '../../src/quality/compile.ts';
import { SOURCES } from '../../src/sources/index.ts';
import { loadModels, parseModel } from '../../src/transform/models.ts';

const strip = (t: ReturnType<typeof parseTest>) => {
  const { text: _t, rule: _r, ...rest } = t;
  return rest;
};

describe('test directive grammar', () => {
  test('each kind parses to its parts', () => {
    assert.deepEqual(strip(parseTest('not_null(order_id, customer_key)')), { kind: 'not_null', columns: ['order_id', 'customer_key'] });
    assert.deepEqual(strip(parseTest('unique(review_id, order_id)')), { kind: 'unique', columns: ['review_id', 'order_id'] });
    assert.deepEqual(strip(parseTest("accepted_values(order_status: delivered, 'shipped')")), { kind: 'accepted_values', column: 'order_status', values: ['delivered', 'shipped'] });
    assert.deepEqual(strip(parseTest('range(price >= 0)')), { kind: 'range', column: 'price', min: 0, minExclusive: false });
    assert.deepEqual(strip(parseTest('range(review_score between 1 and 5)')), { kind: 'range', column: 'review_score', min: 1, max: 5 });
    assert.deepEqual(strip(parseTest('range(lat -33.75..5.27)')), { kind: 'range', column: 'lat', min: -33.75, max: 5.27 });
    assert.deepEqual(strip(parseTest('range(x > 0 and x < 10)')), { kind: 'range', column: 'x', min: 0, minExclusive: true, max: 10, maxExclusive: true });
    assert.deepEqual(strip(parseTest('expression(delivered_at >= purchased_at) severity=warn')), { kind: 'expression', sql: 'delivered_at >= purchased_at', severity: 'warn' });
    assert.deepEqual(strip(parseTest('relationships(customer_key -> customers_dim(customer_key))')), {
      kind: 'relationships', columns: ['customer_key'], target: { type: 'auto', name: 'customers_dim' }, targetColumns: ['customer_key'],
    });
    assert.deepEqual((parseTest("relationships(order_id -> source('orders')(order_id))") as { target?: unknown }).target, { type: 'source', name: 'orders' });
    assert.deepEqual(strip(parseTest("reconcile(count = ref('stg_order_items'))")), {
      kind: 'reconcile', left: { sql: 'count(*)' }, right: { sql: 'count(*)' }, target: { type: 'ref', name: 'stg_order_items' }, targetWhere: undefined, by: [],
    });
    assert.deepEqual(strip(parseTest("reconcile(sum(order_value) = sum(price + freight_value) of ref('stg_order_items') where price > 0 by order_id) tolerance=0.01")), {
      kind: 'reconcile', left: { sql: 'sum(order_value)' }, right: { sql: 'sum(price + freight_value)' }, target: { type: 'ref', name: 'stg_order_items' },
      targetWhere: 'price > 0', by: ['order_id'], tolerance: 0.01,
    });
    assert.deepEqual(strip(parseTest('freshness(purchased_at, 2 days)')), { kind: 'freshness', column: 'purchased_at', maxAgeDays: 2 });
    assert.deepEqual(strip(parseTest('volume(band=20%)')), { kind: 'volume', bandPct: 20 });
    assert.deepEqual(strip(parseTest('scd2(seller_id) name=sellers_dim.history')), { kind: 'scd2', columns: ['seller_id'], name: 'sellers_dim.history' });
    assert.deepEqual(strip(parseTest("point_in_time(seller_key -> ref('sellers_dim') at purchased_at)")), {
      kind: 'point_in_time', column: 'seller_key', target: { type: 'ref', name: 'sellers_dim' }, at: 'purchased_at',
    });
    assert.throws(() => parseTest('point_in_time(seller_key -> sellers_dim)'), /point_in_time must look like/);
  });

  test('options and where', () => {
    const t = parseTest(`not_null(delivered_at) severity=warn name=orders.delivered_has_date desc="Delivered orders, with a date." where status = 'delivered'`);
    assert.equal(t.severity, 'warn');
    assert.equal(t.name, 'orders.delivered_has_date');
    assert.equal(t.desc, 'Delivered orders, with a date.');
    assert.equal(t.where, "status = 'delivered'");
    assert.equal(t.rule, "not_null(delivered_at) severity=warn where status = 'delivered'");
  });

  test('mistakes are reported, not guessed', () => {
    for (const bad of [
      'not_nul(x)', 'not_null(X-1)', 'range(price)', 'accepted_values(a)', 'relationships(a -> b)', 'reconcile(count)',
      'freshness(ts, 2 fortnights)', 'expression(a > b', 'not_null(a) severity=fatal', 'not_null(a) colour=red', 'not_null(a) whatever',
    ]) {
      assert.throws(() => parseTest(bad), TestSyntaxError, bad);
    }
  });

  test('every project declaration compiles, names are unique, and a bad model line names its file', async () => {
    const jobs = fuse([...sourceChecks(SOURCES), ...modelChecks(await loadModels())]);
    const names = jobs.flatMap((j) => j.checks.map((c) => c.name));
    assert.equal(new Set(names).size, names.length);
    assert.ok(names.length > 100);
    const model = parseModel('/x/sql/models/staging/bad.sql', 'staging', '-- @test: range(price)\nselect 1 as price');
    assert.throws(() => modelChecks([model]), /bad\.sql.*range must look like/);
  });
});

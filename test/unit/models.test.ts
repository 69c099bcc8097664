import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadModels, parseModel, sortByDependencies } from '../../src/transform/models.ts';
import { compileModel, constraintsDdl } from '../../src/transform/build.ts';

describe('SQL models', () => {
  test('directives and refs are read from the model file', () => {
    const m = parseModel('x/orders_fact.sql', 'warehouse', [
      '-- @primary_key: order_item_key',
      '-- @unique: order_id, order_item_id',
      '-- @references: customer_key -> customers_dim(customer_key)',
      '-- @index: purchase_date_key',
      '-- @test: not_null(order_id)',
      "with a as (select * from {{ ref('stg_order_items') }}), b as (select * from {{ source('orders') }}) select 1",
    ].join('\n'));
    assert.equal(m.name, 'orders_fact');
    assert.deepEqual(m.primaryKey, ['order_item_key']);
    assert.deepEqual(m.unique, [['order_id', 'order_item_id']]);
    assert.deepEqual(m.references, [{ columns: ['customer_key'], model: 'customers_dim', referencedColumns: ['customer_key'] }]);
    assert.deepEqual(m.indexes, [{ columns: ['purchase_date_key'] }]);
    assert.deepEqual(m.directives, [{ key: 'test', value: 'not_null(order_id)' }]);
    assert.deepEqual(m.refs, ['stg_order_items']);
    assert.deepEqual(m.sources, ['orders']);
  });

  test('an is_incremental() block gives the full build its else branch and the feed its first one', () => {
    const m = parseModel('x/cuts.sql', 'marts', [
      '-- @primary_key: cut',
      "with p as (select * from {{ ref('people') }}),",
      "{% if is_incremental() %} c as (select * from {{ this }} join {{ added('orders_per_person') }} using (k)), {% else %} c as (select count(*) from p), {% endif %}",
      'f as (select 1) {% if is_incremental() %}select 2{% else %}select 3{% endif %}',
    ].join('\n'));
    assert.equal(m.sql.split('\n').slice(1).join('\n'), "with p as (select * from {{ ref('people') }}),\n c as (select count(*) from p), \nf as (select 1) select 3");
    assert.equal(m.incrementalSql!.split('\n').slice(1).join('\n'), "with p as (select * from {{ ref('people') }}),\n c as (select * from {{ this }} join {{ added('orders_per_person') }} using (k)), \nf as (select 1) select 2");
    // the feed branch's change rows are a dependency: the ref is updated first
    assert.deepEqual(m.refs, ['people', 'orders_per_person']);
    assert.throws(() => parseModel('x/a.sql', 'marts', 'select * from {{ this }}'), /belong in the \{% if is_incremental\(\) %\} branch/);
    assert.throws(() => parseModel('x/a.sql', 'marts', '{% if is_incremental() %}select 1{% endif %}'), /the only block a model takes/);
    assert.throws(() => parseModel('x/a.sql', 'marts', "-- @incremental: k\n{% if is_incremental() %}select 1{% else %}select 2{% endif %}"), /recomputed whole/);
  });

  test('@index with a where clause makes a partial index', () => {
    const m = parseModel('x/people.sql', 'marts', '-- @index: gmv, customer_unique_id where revenue_orders > 0\nselect 1');
    assert.deepEqual(m.indexes, [{ columns: ['gmv', 'customer_unique_id'], where: 'revenue_orders > 0' }]);
    const ddl = constraintsDdl(m, new Map([[m.name, m]]), (layer) => layer);
    assert.deepEqual(ddl, ['create index on "marts"."people" ("gmv", "customer_unique_id") where revenue_orders > 0']);
  });

  test('@materialized: view makes a view, which has no keys of its own and no table refs it', () => {
    const v = parseModel('x/v_orders.sql', 'marts', "-- @materialized: view\nselect * from {{ ref('orders_fact') }}");
    assert.equal(v.materialized, 'view');
    assert.equal(parseModel('x/t.sql', 'marts', 'select 1').materialized, 'table');
    assert.throws(() => parseModel('x/v.sql', 'marts', '-- @materialized: view\n-- @primary_key: a\nselect 1 as a'), /a view has no keys/);
    assert.throws(() => parseModel('x/v.sql', 'marts', '-- @materialized: matview\nselect 1'), /must be 'table' or 'view'/);
    const fact = parseModel('orders_fact.sql', 'warehouse', 'select 1 as a');
    const onView = parseModel('m.sql', 'marts', "select * from {{ ref('v_orders') }}");
    assert.throws(() => sortByDependencies([fact, v, onView]), /cannot ref the view 'v_orders'/);
  });

  test('@incremental_additive sums one partitioned ref by its primary key, and nothing else', () => {
    const parts = parseModel('p.sql', 'marts', "-- @primary_key: order_id, route\n-- @incremental: order_id\nselect * from {{ ref('orders_fact') }}");
    const sums = parseModel('s.sql', 'marts', "-- @primary_key: route\n-- @incremental_additive: p\nselect route, count(*) as orders from {{ ref('p') }} group by route");
    assert.equal(sums.incrementalAdditive, 'p');
    const fact = parseModel('orders_fact.sql', 'warehouse', 'select 1 as a');
    assert.deepEqual(sortByDependencies([sums, parts, fact]).map((m) => m.name), ['orders_fact', 'p', 's']);
    assert.throws(() => parseModel('s.sql', 'marts', "-- @primary_key: route\n-- @incremental_additive: p\nselect * from {{ ref('p') }} join {{ ref('q') }} using (route)"), /reading that ref and nothing else/);
    assert.throws(() => parseModel('s.sql', 'marts', "-- @incremental_additive: p\nselect * from {{ ref('p') }}"), /needs a '@primary_key'/);
    assert.throws(() => parseModel('s.sql', 'marts', "-- @primary_key: route\n-- @incremental: route\n-- @incremental_additive: p\nselect * from {{ ref('p') }}"), /replaces '@incremental'/);
    const unpartitioned = parseModel('p.sql', 'marts', "-- @primary_key: order_id\nselect * from {{ ref('orders_fact') }}");
    assert.throws(() => sortByDependencies([sums, unpartitioned, fact]), /needs 'p' to be partitioned/);
  });

  test('refs compile to the build schema of the referenced layer, sources to the given schema', () => {
    const stg = parseModel('stg_orders.sql', 'staging', "select * from {{ source('orders') }}");
    const fact = parseModel('f.sql', 'warehouse', "select * from {{ ref('stg_orders') }};\n");
    const byName = new Map([[stg.name, stg], [fact.name, fact]]);
    assert.equal(compileModel(fact, byName, 'raw_build'), 'select * from "staging_build"."stg_orders"');
    assert.equal(compileModel(stg, byName, 'raw'), 'select * from "raw"."orders"');
  });

  test('dependency order puts every model after what it refs; cycles and unknown refs fail', () => {
    const a = parseModel('a.sql', 'marts', "select * from {{ ref('b') }}");
    const b = parseModel('b.sql', 'warehouse', "select * from {{ ref('c') }}");
    const c = parseModel('c.sql', 'staging', 'select 1');
    assert.deepEqual(sortByDependencies([a, b, c]).map((m) => m.name), ['c', 'b', 'a']);
    const loop = parseModel('c.sql', 'staging', "select * from {{ ref('a') }}");
    assert.throws(() => sortByDependencies([a, b, loop]), /cycle: a -> b -> c -> a/);
    assert.throws(() => sortByDependencies([a]), /ref\('b'\) names no model/);
  });

  test('the project models form a valid graph with the public marts', async () => {
    const models = await loadModels();
    const marts = models.filter((m) => m.layer === 'marts').map((m) => m.name);
    for (const name of ['daily_revenue', 'monthly_revenue', 'orders_by_state', 'orders_by_region', 'seller_performance', 'delivery_times_monthly', 'delivery_times_by_state']) {
      assert.ok(marts.includes(name), name);
    }
    for (const name of ['orders_fact', 'order_fulfillment_fact', 'customers_dim', 'products_dim', 'sellers_dim', 'time_dim']) {
      assert.ok(models.some((m) => m.layer === 'warehouse' && m.name === name), name);
    }
  });
});

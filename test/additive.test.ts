/**
 * The feed's additive strategy (`@incremental_additive`, src/transform/incremental.ts) on a real
 * PostgreSQL, with small models: a batch that empties a group, creates one, moves a row
 * between groups, adds to another and changes an attribute without changing a sum gives exactly
 * what the model's query gives from scratch; and a model recomputed whole, or a partition
 * rewritten in place, whose rows repeat a key fails the batch.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { compileModel } from '../src/transform/build.ts';
import { applyModels, collectScopesBefore, createTouchedTables } from '../src/transform/incremental.ts';
import { parseModel, sortByDependencies, type Model } from '../src/transform/models.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';

const PARTS = parseModel('additive_parts.sql', 'marts', [
  '-- @primary_key: order_id, route',
  '-- @incremental: order_id',
  "-- @incremental_scope: select order_id from {{ changed('additive_lines') }}",
  "select order_id, route, max(zone) as zone, count(*)::int as lines, sum(amount)::numeric(12,2) as amount from {{ source('additive_lines') }} group by order_id, route",
].join('\n'));
const SUMS = parseModel('additive_sums.sql', 'marts', [
  '-- @primary_key: route',
  '-- @incremental_additive: additive_parts',
  "select route, upper(route) as label, max(zone) as zone, count(*)::int as orders, sum(lines)::int as lines, sum(amount)::numeric(12,2) as amount from {{ ref('additive_parts') }} group by route",
].join('\n'));
// recomputed whole; its key is unique until a route gets a second zone
const ZONES = parseModel('additive_zones.sql', 'marts', [
  '-- @primary_key: route',
  "select route, zone, count(*)::int as lines from {{ source('additive_lines') }} group by route, zone",
].join('\n'));
// partitioned, rewritten in place by its key; the key is unique until an order gets a second route
const ORDER_ROUTE = parseModel('additive_order_route.sql', 'marts', [
  '-- @primary_key: order_id',
  '-- @incremental: order_id',
  "-- @incremental_scope: select order_id from {{ changed('additive_lines') }}",
  "select order_id, route, sum(amount)::numeric(12,2) as amount from {{ source('additive_lines') }} group by order_id, route",
].join('\n'));
const MODELS: Model[] = sortByDependencies([SUMS, PARTS, ZONES, ORDER_ROUTE]);
const byName = new Map(MODELS.map((m) => [m.name, m]));
const compiled = (m: Model) => compileModel(m, byName, 'raw', (layer) => layer);

describe('additive models follow a batch by difference', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let client: pg.PoolClient;
  before(async () => {
    db = await createTestDatabase('additive');
    pool = new pg.Pool({ connectionString: db.url, max: 1 });
    client = await pool.connect();
    await client.query(`create schema raw; create schema marts;
      create table raw.additive_lines (order_id text not null, route text not null, zone text not null, amount numeric(10,2) not null);
      insert into raw.additive_lines values ('o1', 'a', 'z1', 10.00), ('o1', 'a', 'z1', 2.50), ('o2', 'a', 'z1', 5.00), ('o3', 'b', 'z1', 7.00), ('o5', 'd', 'z1', 1.00)`);
    for (const m of MODELS) await client.query(`create table marts.${m.name} as ${compiled(m)}; alter table marts.${m.name} add primary key (${m.primaryKey!.join(', ')})`);
  });
  after(async () => {
    client?.release();
    await pool?.end();
    await db?.drop();
  });

  test('an emptied group is deleted, a new one inserted, the others moved by the change only, attributes follow', async () => {
    const before = await client.query('select route, orders, lines, amount from marts.additive_sums order by route');
    assert.deepEqual(before.rows.map((r) => r.route), ['a', 'b', 'd']);

    await client.query('begin');
    await client.query("create schema if not exists feed_work; create table feed_work.changed_additive_lines as select unnest(array['o2', 'o3', 'o4', 'o5']) as order_id");
    await createTouchedTables(client, MODELS);
    await collectScopesBefore(client, MODELS);
    // o2 moves from a to c, o3 (the only order of b) goes, o4 arrives on a, o5 stays on d with the
    // same amount but a new zone (its sums cancel out, its attribute does not)
    await client.query(`delete from raw.additive_lines where order_id in ('o2', 'o3', 'o5');
      insert into raw.additive_lines values ('o2', 'c', 'z1', 5.00), ('o4', 'a', 'z1', 3.25), ('o4', 'a', 'z1', 0.75), ('o5', 'd', 'z9', 1.00)`);
    const changes = await applyModels(client, MODELS, new Set(['additive_lines']));
    const sums = changes.find((c) => c.model === 'additive_sums')!;
    assert.equal(sums.strategy, 'additive');
    assert.equal(sums.deleted, 1, 'route b has no order left');
    assert.equal(sums.touched, 4, 'a, b and c changed by their sums, d by its zone alone');

    const incremental = await client.query('select * from marts.additive_sums order by route');
    const fromScratch = await client.query(`select * from (${compiled(SUMS)}) s order by route`);
    assert.deepEqual(incremental.rows, fromScratch.rows);
    assert.deepEqual(incremental.rows, [
      { route: 'a', label: 'A', zone: 'z1', orders: 2, lines: 4, amount: '16.50' },
      { route: 'c', label: 'C', zone: 'z1', orders: 1, lines: 1, amount: '5.00' },
      { route: 'd', label: 'D', zone: 'z9', orders: 1, lines: 1, amount: '1.00' },
    ]);
    await client.query('rollback');
  });

  test('a model recomputed whole whose rows repeat a key fails the batch instead of keeping one of them', async () => {
    await client.query('begin');
    await client.query("create schema if not exists feed_work; create table feed_work.changed_additive_lines as select 'o6' as order_id");
    await createTouchedTables(client, MODELS);
    await collectScopesBefore(client, MODELS);
    await client.query("insert into raw.additive_lines values ('o6', 'a', 'z2', 1.00)");
    await assert.rejects(applyModels(client, MODELS, new Set(['additive_lines'])), /additive_zones\.sql: the recomputed rows repeat 1 primary key value\(s\) \(route\): a key is repeated/);
    await client.query('rollback');
  });

  test('a partition rewritten in place whose rows repeat a key fails the batch instead of updating its row with one of them', async () => {
    await client.query('begin');
    await client.query("create schema if not exists feed_work; create table feed_work.changed_additive_lines as select 'o1' as order_id");
    await createTouchedTables(client, MODELS);
    await collectScopesBefore(client, MODELS);
    await client.query("insert into raw.additive_lines values ('o1', 'b', 'z1', 4.00)");
    await assert.rejects(applyModels(client, MODELS, new Set(['additive_lines'])), /additive_order_route\.sql: the recomputed rows repeat 1 primary key value\(s\) \(order_id\): a key is repeated/);
    await client.query('rollback');
  });
});

/**
 * A feed batch rewrites a partition in place, in one statement (src/transform/incremental.ts): a
 * late version renumbers the later ones, whose version numbers pass from row to row within that
 * statement. The full build makes `@unique` constraints checked per statement for this
 * (src/transform/build.ts); checked row by row, the same batch fails mid-statement.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { compileModel, constraintsDdl } from '../src/transform/build.ts';
import { applyModels, collectScopesBefore, createTouchedTables } from '../src/transform/incremental.ts';
import { parseModel, type Model } from '../src/transform/models.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';

const VERSIONS = parseModel('inplace_versions.sql', 'marts', [
  '-- @primary_key: person, valid_from',
  '-- @unique: person, version',
  '-- @incremental: person',
  "-- @incremental_scope: select person from {{ changed('inplace_periods') }}",
  "select person, valid_from, city, row_number() over (partition by person order by valid_from)::int as version from {{ source('inplace_periods') }}",
].join('\n'));
const MODELS: Model[] = [VERSIONS];
const byName = new Map(MODELS.map((m) => [m.name, m]));
const compiled = compileModel(VERSIONS, byName, 'raw', (layer) => layer);

describe('a partition rewritten in place renumbers versions', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let client: pg.PoolClient;
  before(async () => {
    db = await createTestDatabase('inplace');
    pool = new pg.Pool({ connectionString: db.url, max: 1 });
    client = await pool.connect();
    await client.query(`create schema raw; create schema marts;
      create table raw.inplace_periods (person text not null, valid_from date not null, city text not null);
      insert into raw.inplace_periods values ('p1', '2018-01-01', 'a'), ('p1', '2018-03-01', 'b'), ('p1', '2018-05-01', 'c'), ('p2', '2018-01-01', 'x')`);
    await client.query(`create table marts.inplace_versions as ${compiled}`);
    for (const ddl of constraintsDdl(VERSIONS, byName, (layer) => layer)) await client.query(ddl);
  });
  after(async () => {
    client?.release();
    await pool?.end();
    await db?.drop();
  });

  /** A late period of p1, before its second: the second and third become the third and fourth. */
  async function applyLatePeriod(): Promise<void> {
    await client.query("create schema if not exists feed_work; create table feed_work.changed_inplace_periods as select 'p1'::text as person");
    await createTouchedTables(client, MODELS);
    await collectScopesBefore(client, MODELS);
    await client.query("insert into raw.inplace_periods values ('p1', '2018-02-01', 'late')");
    await applyModels(client, MODELS, new Set(['inplace_periods']));
  }

  test('the versions shift within the statement and equal a build from scratch', async () => {
    await client.query('begin');
    await applyLatePeriod();
    const incremental = await client.query('select person, valid_from::text, city, version from marts.inplace_versions order by person, version');
    const fromScratch = await client.query(`select person, valid_from::text, city, version from (${compiled}) s order by person, version`);
    assert.deepEqual(incremental.rows, fromScratch.rows);
    assert.deepEqual(incremental.rows.filter((r) => r.person === 'p1').map((r) => [r.city, r.version]), [['a', 1], ['late', 2], ['b', 3], ['c', 4]]);
    await client.query('rollback');
  });

  test('checked row by row, the same batch fails on the unique constraint', async () => {
    await client.query('begin');
    await client.query(`alter table marts.inplace_versions drop constraint inplace_versions_person_version_key,
                          add constraint inplace_versions_person_version_key unique (person, version)`);
    await assert.rejects(applyLatePeriod(), /duplicate key value violates unique constraint "inplace_versions_person_version_key"/);
    await client.query('rollback');
  });
});

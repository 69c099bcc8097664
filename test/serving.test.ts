import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../src/config.ts';
import { analystPassword, analystPasswordFile, analystUrl } from '../src/db/analyst.ts';
import type { Context } from '../src/pipeline/context.ts';
import { incrementalStep, simulateStep } from '../src/pipeline/feed.ts';
import { runPipeline } from '../src/pipeline/run.ts';
import { audited } from '../src/pipeline/steps.ts';
import { writeTrapFixture } from './fixtures/traps.ts';
import pg from 'pg';
import { asAnalyst, openAnalystWarehouse } from './helpers/analyst.ts';
import { createTestDatabase } from './helpers/db.ts';
import { runCli } from './helpers/cli.ts';
import { projectPath } from '../src/paths.ts';

const PERMISSION_DENIED = '42501';
const READ_ONLY_TRANSACTION = '25006';

/** What the analyst must be able to do, and what not, on any published version. */
async function assertAnalystAccess(ctx: Context, url: string): Promise<void> {
  const owner = async (sql: string) => (await ctx.db.pool.query(sql)).rows;
  for (const table of ['marts.daily_revenue', 'marts.seller_performance', 'warehouse.orders_fact', 'warehouse.customers_dim']) {
    const mine = await owner(`select count(*)::int as n from ${table}`);
    const theirs = await asAnalyst(url, `select count(*)::int as n from ${table}`);
    assert.deepEqual(theirs, { rows: mine }, `the analyst reads ${table} as the owner does`);
    assert.ok((mine[0]!.n as number) > 0, `${table} has rows`);
  }
  // The views, including the quality views that read audit with their owner's rights.
  for (const view of ['marts.v_order_items', 'marts.v_orders', 'marts.v_quality_checks', 'marts.v_quality_runs', 'marts.v_rejected_summary']) {
    // every row, as a count and a checksum in a fixed order (some views have no unique key to sort by)
    const read = `select count(*)::int as n, md5(coalesce(string_agg(v::text, '|' order by v::text), '')) as sum from ${view} v`;
    const mine = await owner(read);
    const theirs = await asAnalyst(url, read);
    assert.deepEqual(theirs, { rows: mine }, `the analyst reads ${view} as the owner does`);
    if (view !== 'marts.v_rejected_summary') assert.ok((mine[0]!.n as number) > 0, `${view} has rows`);
  }
  // Temp tables: PUBLIC's default TEMPORARY is revoked (src/db/analyst.ts), so even a read-write session is refused.
  assert.equal((await asAnalyst(url, 'create temp table mine (x int)')).code, READ_ONLY_TRANSACTION);
  assert.equal((await asAnalyst(url, 'create temp table mine (x int)', { readWrite: true })).code, PERMISSION_DENIED, 'create temp table');
  // Writes: refused by the read-only default, and still refused by privileges when the session asks for read-write.
  assert.equal((await asAnalyst(url, "insert into marts.daily_revenue (day, orders, items) values ('2030-01-01', 1, 1)")).code, READ_ONLY_TRANSACTION);
  for (const write of [
    "insert into marts.daily_revenue (day, orders, items) values ('2030-01-01', 1, 1)",
    'update warehouse.orders_fact set price = 0',
    'delete from marts.daily_revenue',
    'truncate marts.orders_by_state',
    'create table marts.mine (x int)',
    'create table warehouse.mine (x int)',
    'drop table marts.daily_revenue',
    "update audit.runs set status = 'failed'",
  ]) {
    assert.equal((await asAnalyst(url, write, { readWrite: true })).code, PERMISSION_DENIED, write);
  }
  // Closed layers: quarantined values, raw rows, the audit trail.
  for (const closed of ['audit.rejected_rows', 'audit.runs', 'raw.orders', 'staging.stg_orders']) {
    assert.equal((await asAnalyst(url, `select * from ${closed} limit 1`)).code, PERMISSION_DENIED, closed);
  }
}

describe('serving: the read-only analyst role', () => {
  let w: Awaited<ReturnType<typeof openAnalystWarehouse>>;
  let dataDir: string;

  before(async () => {
    w = await openAnalystWarehouse('serving_role');
    dataDir = await writeTrapFixture();
  });
  after(async () => w?.close());

  test('after a full publish the analyst reads marts and warehouse, writes nothing, and cannot read raw or the quarantine', async () => {
    await runPipeline(w.ctx, dataDir);
    const rejected = await w.ctx.db.pool.query('select count(*)::int as n from audit.rejected_rows');
    assert.ok(rejected.rows[0].n > 0, 'the trap fixture has quarantined rows to hide');
    await assertAnalystAccess(w.ctx, w.url);
  });

  test('the grants survive the next publish (which swaps every schema)', async () => {
    const before = await w.ctx.db.pool.query<{ oid: string }>("select oid::text from pg_namespace where nspname = 'marts'");
    await runPipeline(w.ctx, dataDir);
    const after = await w.ctx.db.pool.query<{ oid: string }>("select oid::text from pg_namespace where nspname = 'marts'");
    assert.notEqual(after.rows[0]!.oid, before.rows[0]!.oid, 'the publish replaced the schema');
    await assertAnalystAccess(w.ctx, w.url);
  });

  test('`olist migrate` grants what a warehouse published before the login (or by hand) lacks', async () => {
    await w.ctx.db.pool.query('revoke select on marts.daily_revenue from olist_reader');
    assert.equal((await asAnalyst(w.url, 'select count(*) from marts.daily_revenue')).code, PERMISSION_DENIED);
    const r = await runCli(['--json', 'migrate'], { DATABASE_URL: w.db.url, OLIST_HOME: w.ctx.config.home, ...w.analyst });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { analyst: { login: string } }).analyst.login, w.analyst.OLIST_ANALYST_USER);
    await assertAnalystAccess(w.ctx, w.url);
  });

  test('`olist db url --analyst --json` prints the login the role was created with', async () => {
    const r = await runCli(['--json', 'db', 'url', '--analyst'], { DATABASE_URL: w.db.url, OLIST_HOME: w.ctx.config.home, ...w.analyst });
    assert.equal(r.code, 0, r.stderr);
    const printed = JSON.parse(r.stdout) as { url: string; user: string; readOnly: boolean };
    assert.equal(printed.user, w.analyst.OLIST_ANALYST_USER);
    assert.equal(printed.url, w.url);
    assert.deepEqual(await asAnalyst(printed.url, 'select current_user as u'), { rows: [{ u: w.analyst.OLIST_ANALYST_USER }] });
  });

  test('`olist bi bundle` writes the dashboards of bi/ for a Superset elsewhere: one file per asset, no password', async () => {
    const out = await fs.mkdtemp(path.join(tmpdir(), 'olist-bundle-'));
    try {
      const r = await runCli(['--json', 'bi', 'bundle', '--out', out], { DATABASE_URL: w.db.url, OLIST_HOME: w.ctx.config.home, ...w.analyst });
      assert.equal(r.code, 0, r.stderr);
      const printed = JSON.parse(r.stdout) as { dir: string; charts: number; dashboards: number };
      const root = path.join(out, 'olist_bundle');
      assert.equal(printed.dir, root);
      const listed = async (kind: string) => (await fs.readdir(path.join(projectPath('bi'), kind))).filter((f) => f.endsWith('.yaml')).sort();
      for (const kind of ['databases', 'datasets', 'charts', 'dashboards']) {
        assert.deepEqual((await fs.readdir(path.join(root, kind))).sort(), await listed(kind), kind);
      }
      assert.equal(printed.charts, (await listed('charts')).length);
      assert.equal(printed.dashboards, (await listed('dashboards')).length);
      const database = await fs.readFile(path.join(root, 'databases', 'warehouse.yaml'), 'utf8');
      assert.match(database, new RegExp(`sqlalchemy_uri: postgresql\\+psycopg2://${w.analyst.OLIST_ANALYST_USER}:XXXXXXXXXX@`));
      assert.ok(!database.includes(w.analyst.OLIST_ANALYST_PASSWORD), 'the analyst password is not in the bundle');
      // every dataset lists the columns the analyst sees in its table
      const dataset = await fs.readFile(path.join(root, 'datasets', 'daily_revenue.yaml'), 'utf8');
      assert.match(dataset, /column_name: gmv/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  test('with DATABASE_URL and no password, `db url --analyst` says what to set', async () => {
    const r = await runCli(['db', 'url', '--analyst'], { DATABASE_URL: w.db.url, OLIST_HOME: w.ctx.config.home });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /OLIST_ANALYST_PASSWORD/);
  });
});

describe('serving: the analyst role and the daily feed', () => {
  let w: Awaited<ReturnType<typeof openAnalystWarehouse>>;
  let landingDir: string;

  before(async () => {
    w = await openAnalystWarehouse('serving_feed');
    landingDir = await fs.mkdtemp(path.join(tmpdir(), 'olist-landing-serving-'));
    await simulateStep(w.ctx, { dataDir: await writeTrapFixture(), landingDir, granularity: 'day', seed: 1, faults: [] });
  });
  after(async () => {
    await w?.close();
    rmSync(landingDir, { recursive: true, force: true });
  });

  test('a warehouse the feed bootstrapped and filled batch by batch is readable, not writable', async () => {
    const apply = (maxBatches?: number) => audited(w.ctx, 'run --incremental', landingDir, (runId) => incrementalStep(w.ctx, runId, { landingDir, maxBatches }));
    const first = await apply(2);
    assert.equal(first.result.bootstrapped, true, 'the first run published an empty warehouse by a swap');
    const rest = await apply();
    assert.ok(rest.result.applied.length > 0, 'batches applied in place after the swap');
    assert.equal(rest.result.pending.length, 0);
    await assertAnalystAccess(w.ctx, w.url);
  });
});

describe('serving: the embedded server\'s analyst password', () => {
  test('is generated once, kept 0600 under OLIST_HOME, and used by the URL', async () => {
    const home = await fs.mkdtemp(path.join(tmpdir(), 'olist-analyst-home-'));
    try {
      const config = loadConfig({ OLIST_HOME: home, OLIST_PG_PORT: '54999' });
      assert.equal(await analystPassword(config, { create: false }), undefined, 'nothing before migrate');
      await assert.rejects(analystUrl(config), /run `olist migrate`/);
      const first = await analystPassword(config, { create: true });
      assert.ok(first && first.length >= 20);
      assert.equal(await analystPassword(config, { create: true }), first, 'stable across jobs');
      assert.equal((await fs.stat(analystPasswordFile(config))).mode & 0o777, 0o600);
      assert.equal(await analystUrl(config), `postgres://olist_analyst:${first}@127.0.0.1:54999/olist`);
      const given = loadConfig({ OLIST_HOME: home, OLIST_ANALYST_PASSWORD: 'from-the-env', OLIST_ANALYST_USER: 'bi_tool' });
      assert.equal(await analystUrl(given), 'postgres://bi_tool:from-the-env@127.0.0.1:54329/olist', 'the environment wins');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('serving: a DATABASE_URL user without CREATEROLE', () => {
  test('still runs its jobs; migrate says the login is the server owner\'s to create', async () => {
    const db = await createTestDatabase('serving_owner');
    const owner = `o_${db.name}`;
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      await admin.query(`create role ${owner} login password 'owner-pw-123'`);
      await admin.query(`alter database ${db.name} owner to ${owner}`);
      await admin.query(`alter schema public owner to ${owner}`);
      const url = new URL(db.url);
      url.username = owner;
      url.password = 'owner-pw-123';
      const r = await runCli(['--json', 'migrate'], { DATABASE_URL: url.toString(), OLIST_HOME: path.join(tmpdir(), `olist-${owner}`), OLIST_ANALYST_USER: `a_${owner}`, OLIST_ANALYST_PASSWORD: 'analyst-pw-123' });
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { analyst: { login: string | null; note?: string } };
      assert.equal(out.analyst.login, null);
      assert.match(out.analyst.note ?? '', /lacks CREATEROLE/);
      // The owner (not a superuser) took TEMPORARY from PUBLIC and kept it by name: its feed's temp tables still work.
      const asOwner = new pg.Client({ connectionString: url.toString() });
      await asOwner.connect();
      try {
        const { rows } = await asOwner.query<{ super: boolean; public_temp: boolean; owner_temp: boolean }>(
          `select (select rolsuper from pg_roles where rolname = current_user) as super,
                  exists (select from pg_database d, aclexplode(d.datacl) a where d.datname = current_database() and a.grantee = 0 and a.privilege_type = 'TEMPORARY') as public_temp,
                  has_database_privilege(current_user, current_database(), 'TEMPORARY') as owner_temp`);
        assert.deepEqual(rows, [{ super: false, public_temp: false, owner_temp: true }]);
        await asOwner.query('begin');
        await asOwner.query('create temp table scratch on commit drop as select 1 as x');
        assert.deepEqual((await asOwner.query('select x from scratch')).rows, [{ x: 1 }]);
        await asOwner.query('commit');
      } finally {
        await asOwner.end();
      }
    } finally {
      await admin.end();
      await db.drop();
      const c = new pg.Client({ connectionString: db.url.replace(/\/[^/]*$/, '/postgres') });
      await c.connect().then(() => c.query(`drop role if exists ${owner}`)).finally(() => c.end()).catch(() => undefined);
    }
  });
});

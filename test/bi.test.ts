/**
 * `olist bi` end to end, against real PostgreSQL, a real Superset and a real browser:
 * a warehouse built from generated data, a fresh Superset metadata database, the import, a re-run
 * that updates in place, every chart's data through Superset's chart-data API compared with the
 * marts queried directly, and headless Chromium opening every dashboard.
 *
 * Slow by nature (Superset starts in 20-60 s; the first install of its venv takes minutes and is
 * cached, see scripts/setup-superset.sh); scripts/test.sh installs the venv and Chromium first.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { SupersetApi, type ChartData } from '../src/bi/api.ts';
import { loadAssets, type BiAssets } from '../src/bi/bundle.ts';
import { processEnded } from '../src/bi/superset.ts';
import { generateDataset } from '../src/generate/generate.ts';
import { openContext } from '../src/pipeline/context.ts';
import { runPipeline } from '../src/pipeline/run.ts';
import { writeTrapFixture } from './fixtures/traps.ts';
import { runCli, type CliResult } from './helpers/cli.ts';
import { chartProblem, login, openBrowser, viewDashboard } from './helpers/dashboardBrowser.ts';
import { createTestDatabase, freePort, quietLogger, type TestDatabase } from './helpers/db.ts';

/**
 * What each chart must show, queried from the marts directly (written here, apart from the chart
 * YAML, so a wrong metric or column in bi/ fails). Every chart of bi/charts must be listed.
 * `ordered`: the chart's row order matters (leaderboards); `tolerance`: per column, for values the
 * mart rounds (a rate to 4 decimals, an average to 2) that the chart computes from the counts.
 */
const EXPECTED: Record<string, { sql: string; ordered?: boolean; tolerance?: Record<string, number> }> = {
  revenue_gmv_total: { sql: 'select sum(gmv) as gmv from marts.daily_revenue' },
  revenue_orders_total: { sql: 'select sum(orders) as orders from marts.daily_revenue' },
  revenue_avg_order_value: { sql: 'select sum(gmv) / sum(orders) as avg_order_value from marts.daily_revenue' },
  revenue_gmv_daily: { sql: 'select day, gmv from marts.daily_revenue' },
  revenue_monthly: { sql: 'select month, gmv from marts.monthly_revenue' },
  revenue_orders_monthly: { sql: 'select month, orders from marts.monthly_revenue' },
  revenue_aov_monthly: { sql: 'select month, avg_order_value from marts.monthly_revenue', tolerance: { avg_order_value: 0.005 } },
  revenue_growth_monthly: { sql: 'select month, gmv_growth_pct from marts.monthly_revenue' },
  geo_orders_map: { sql: "select 'BR-' || state as state_iso, orders from marts.orders_by_state" },
  geo_gmv_map: { sql: "select 'BR-' || state as state_iso, gmv from marts.orders_by_state" },
  geo_states_table: { sql: 'select state, region, orders, delivered_orders, gmv from marts.orders_by_state order by gmv desc, state', ordered: true },
  geo_regions_orders: { sql: 'select region, orders from marts.orders_by_region' },
  geo_regions_bar: { sql: 'select region, gmv from marts.orders_by_region' },
  sellers_count: { sql: 'select count(*) as sellers from marts.seller_performance' },
  sellers_leaderboard: {
    sql: `select seller_id, seller_state, orders, items, gmv, on_time_rate, avg_review_score, avg_delivery_days, late_shipping_rate, canceled_orders
            from marts.seller_performance order by gmv desc, seller_id`,
    ordered: true,
  },
  // point in time: the seller's state at the sale (the fact's seller_key), not seller_performance's current state
  sellers_gmv_by_state: { sql: 'select seller_state, gmv from marts.revenue_by_seller_state' },
  delivery_days_monthly: { sql: 'select month, avg_delivery_days from marts.delivery_times_monthly' },
  delivery_late_rate_monthly: { sql: 'select month, late_rate from marts.delivery_times_monthly', tolerance: { late_rate: 0.0000501 } },
  delivery_days_by_state: { sql: 'select state, avg_delivery_days from marts.delivery_times_by_state' },
  delivery_by_state: {
    sql: 'select state, region, delivered_orders, avg_delivery_days, late_rate from marts.delivery_times_by_state',
    tolerance: { late_rate: 0.0000501 },
  },
  delivery_routes: {
    sql: 'select route, seller_state, customer_state, orders, freight_share, avg_delivery_days, late_rate from marts.routes',
    tolerance: { freight_share: 0.0001, late_rate: 0.0000501 },
  },
  delivery_routes_heatmap: { sql: 'select seller_state, customer_state, avg_delivery_days from marts.routes' },
  quality_last_runs: {
    sql: `select run_id, command, status, started_at, seconds, rows_read, rows_loaded, rows_rejected, gate_passed, checks, checks_failed, checks_warned, published
            from marts.v_quality_runs order by run_id desc limit 20`,
    ordered: true,
  },
  quality_checks_by_status: { sql: 'select status, count(*) as checks from marts.v_quality_checks group by status' },
  quality_checks_by_layer: { sql: 'select layer, status, count(*) as checks from marts.v_quality_checks group by layer, status' },
  quality_failing_checks: {
    sql: `select check_name, layer, severity, status, failing_rows, description from marts.v_quality_checks
           where status <> 'pass' order by failing_rows desc, check_name limit 200`,
    ordered: true,
  },
  quality_rejected_by_file: { sql: 'select file_name, sum(rejected_rows) as rejected_rows from marts.v_rejected_summary group by file_name' },
  quality_rejected_by_reason: {
    sql: 'select file_name, column_name, reason, sum(rejected_rows) as rejected_rows from marts.v_rejected_summary group by file_name, column_name, reason',
  },
};

type Row = Record<string, unknown>;

/** Superset returns dates as epoch milliseconds and numbers as floats; the marts as text. */
function normalise(actual: Row[], expected: Row[]): { actual: Row[]; expected: Row[] } {
  const isDate = (v: unknown) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v);
  const columns = Object.keys(expected[0] ?? {});
  const dates = new Set(columns.filter((c) => expected.some((r) => isDate(r[c]))));
  const numeric = new Set(columns.filter((c) => !dates.has(c) && expected.every((r) => r[c] === null || !Number.isNaN(Number(r[c])))) );
  const fix = (r: Row, fromSuperset: boolean): Row =>
    Object.fromEntries(
      columns.map((c) => {
        const v = r[c];
        if (v === null || v === undefined) return [c, null];
        if (dates.has(c)) return [c, fromSuperset ? new Date(Number(v)).toISOString().slice(0, 10) : v];
        if (numeric.has(c)) return [c, Number(v)];
        return [c, String(v)];
      }),
    );
  return { actual: actual.map((r) => fix(r, true)), expected: expected.map((r) => fix(r, false)) };
}

function assertSameRows(chart: string, got: Row[], want: Row[], spec: (typeof EXPECTED)[string]): void {
  assert.ok(want.length > 0, `${chart}: the mart query returned no rows (the fixture must exercise every chart)`);
  assert.equal(got.length, want.length, `${chart}: ${got.length} rows from Superset, ${want.length} in the marts`);
  const { actual, expected } = normalise(got, want);
  const keyColumns = Object.keys(expected[0]!).filter((c) => typeof expected[0]![c] === 'string');
  const key = (r: Row) => JSON.stringify(keyColumns.map((c) => r[c]));
  if (!spec.ordered) {
    actual.sort((a, b) => key(a).localeCompare(key(b)));
    expected.sort((a, b) => key(a).localeCompare(key(b)));
  }
  expected.forEach((e, i) => {
    const a = actual[i]!;
    for (const [c, v] of Object.entries(e)) {
      if (typeof v === 'number' && typeof a[c] === 'number') {
        const tol = spec.tolerance?.[c] ?? 1e-9 * Math.max(1, Math.abs(v));
        assert.ok(Math.abs((a[c] as number) - v) <= tol, `${chart} row ${key(e)} ${c}: Superset ${a[c]}, marts ${v}`);
      } else {
        assert.deepEqual(a[c], v, `${chart} row ${i} ${c}: Superset ${JSON.stringify(a[c])}, marts ${JSON.stringify(v)}`);
      }
    }
  });
}

describe('olist bi: Superset dashboards as code', { timeout: 30 * 60_000 }, () => {
  let db: TestDatabase;
  let home: string;
  let env: Record<string, string>;
  let metadataUrl: URL;
  let assets: BiAssets;
  let api: SupersetApi;
  let first: CliResult;
  const biPassword = `bi-${randomBytes(6).toString('hex')}`;
  const baseUrl = () => `http://127.0.0.1:${env.OLIST_BI_PORT}`;

  before(async () => {
    assets = await loadAssets();
    db = await createTestDatabase('bi');
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'olist-bi-'));
    metadataUrl = new URL(db.url);
    metadataUrl.pathname = `/superset_${db.name}`;
    env = {
      DATABASE_URL: db.url,
      OLIST_HOME: home,
      OLIST_ANALYST_USER: 'olist_analyst_bi_test',
      OLIST_ANALYST_PASSWORD: `an-${randomBytes(8).toString('hex')}`,
      OLIST_BI_PORT: String(await freePort()),
      OLIST_BI_PASSWORD: biPassword,
      OLIST_SUPERSET_METADATA_URL: metadataUrl.toString(),
      OLIST_CACHE_DIR: process.env.OLIST_CACHE_DIR ?? '',
      XDG_CACHE_HOME: process.env.XDG_CACHE_HOME ?? '',
    };
    for (const k of Object.keys(env)) if (!env[k]) delete env[k];
    // two runs: the trap fixture (rows quarantined, for the Quality dashboard), then a small
    // generated warehouse, in which every state, region and month the charts group by has rows
    const data = path.join(home, 'data');
    await generateDataset({ scale: 0.02, seed: 7, outDir: data, referenceDir: '' });
    const ctx = await openContext(db.config({ OLIST_HOME: home, OLIST_ANALYST_USER: env.OLIST_ANALYST_USER!, OLIST_ANALYST_PASSWORD: env.OLIST_ANALYST_PASSWORD! }), quietLogger());
    try {
      await runPipeline(ctx, await writeTrapFixture());
      await runPipeline(ctx, data);
    } finally {
      await ctx.db.close();
    }
    first = await runCli(['bi'], env);
  });

  after(async () => {
    if (env) await runCli(['bi', 'stop'], env);
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    await admin.query(`drop database if exists ${metadataUrl.pathname.slice(1)} with (force)`);
    await admin.end();
    await db?.drop();
    if (home) await fs.rm(home, { recursive: true, force: true });
  });

  test('olist bi sets Superset up on a fresh metadata database, imports every dashboard and prints the login', async () => {
    assert.equal(first.code, 0, `olist bi failed:\n${first.stdout}\n${first.stderr}`);
    assert.match(first.stdout, new RegExp(`login admin / ${biPassword}`));
    for (const d of assets.dashboards) assert.ok(first.stdout.includes(`${baseUrl()}/superset/dashboard/${d.slug}/`), `no URL of ${d.slug} printed`);
    api = await SupersetApi.login(baseUrl(), 'admin', biPassword);
    const charts = await api.charts();
    assert.deepEqual(charts.map((c) => c.slice_name).sort(), assets.charts.map((c) => c.slice_name).sort());
    const dashboards = await api.dashboards();
    assert.deepEqual(dashboards.map((d) => d.slug).sort(), assets.dashboards.map((d) => d.slug).sort());
    for (const d of assets.dashboards) {
      const inSuperset = (await api.dashboardCharts(d.slug)).map((c) => c.slice_name).sort();
      const inYaml = d.rows.flat().map((cell) => assets.charts.find((c) => c.name === (typeof cell === 'string' ? cell : cell.chart))!.slice_name).sort();
      assert.deepEqual(inSuperset, inYaml, `dashboard ${d.slug}`);
    }
  });

  test("the native filters target the datasets and charts their YAML names (the importer's id mapping)", async () => {
    const { result: datasets } = await api.get<{ result: Array<{ id: number; table_name: string }> }>(
      `/api/v1/dataset/?q=${encodeURIComponent('(page_size:1000,columns:!(id,table_name))')}`,
    );
    const charts = new Map((await api.charts()).map((c) => [c.slice_name, c.id]));
    const chartId = (name: string) => charts.get(assets.charts.find((c) => c.name === name)!.slice_name)!;
    for (const d of assets.dashboards) {
      const { result } = await api.get<{ result: { json_metadata: string } }>(`/api/v1/dashboard/${d.slug}`);
      type Filter = { name: string; filterType: string; targets: Array<{ datasetId?: number; column?: { name: string } }>; scope: { excluded: number[] } };
      const filters = (JSON.parse(result.json_metadata) as { native_filter_configuration: Filter[] }).native_filter_configuration;
      assert.deepEqual(filters.map((f) => f.name), (d.filters ?? []).map((f) => f.name), `${d.slug}: filters`);
      for (const [i, spec] of (d.filters ?? []).entries()) {
        const f = filters[i]!;
        assert.equal(f.filterType, spec.type === 'time' ? 'filter_time' : 'filter_select');
        if (spec.type === 'select') {
          const table = assets.datasets.find((x) => x.name === spec.dataset)!.table_name;
          assert.equal(f.targets[0]!.datasetId, datasets.find((x) => x.table_name === table)!.id, `${d.slug} / ${spec.name}: dataset`);
          assert.equal(f.targets[0]!.column!.name, spec.column);
        }
        const onDashboard = d.rows.flat().map((cell) => (typeof cell === 'string' ? cell : cell.chart));
        const excluded = spec.charts ? onDashboard.filter((c) => !spec.charts!.includes(c)).map(chartId) : [];
        assert.deepEqual([...f.scope.excluded].sort(), excluded.sort(), `${d.slug} / ${spec.name}: charts out of scope`);
      }
    }
  });

  test('the warehouse is registered through the read-only analyst login, never the owner', async () => {
    const { result } = await api.get<{ result: Array<{ id: number; database_name: string }> }>('/api/v1/database/');
    const warehouse = result.find((d) => d.database_name === 'Olist warehouse');
    assert.ok(warehouse, 'database "Olist warehouse" not registered');
    const { result: detail } = await api.get<{ result: { sqlalchemy_uri: string; allow_dml: boolean } }>(`/api/v1/database/${warehouse.id}/connection`);
    const uri = new URL(detail.sqlalchemy_uri.replace(/^postgresql\+psycopg2:/, 'postgres:'));
    assert.equal(uri.username, env.OLIST_ANALYST_USER);
    assert.equal(uri.pathname, `/${db.name}`);
    assert.equal(detail.allow_dml, false);
  });

  test('a re-run updates the dashboards in place: same charts and ids, hand edits replaced by the YAML', async () => {
    const before = (await api.charts()).sort((a, b) => a.id - b.id);
    const dashboardsBefore = (await api.dashboards()).map((d) => d.id).sort();
    const victim = before.find((c) => c.slice_name === 'Total GMV')!;
    await api.put(`/api/v1/chart/${victim.id}`, { slice_name: 'edited by hand' });
    assert.ok((await api.charts()).some((c) => c.slice_name === 'edited by hand'));
    const again = await runCli(['bi'], env);
    assert.equal(again.code, 0, `second olist bi failed:\n${again.stdout}\n${again.stderr}`);
    api = await SupersetApi.login(baseUrl(), 'admin', biPassword);
    const afterRun = (await api.charts()).sort((a, b) => a.id - b.id);
    assert.deepEqual(afterRun, before, 'charts (ids, names, types) after the re-run');
    assert.deepEqual((await api.dashboards()).map((d) => d.id).sort(), dashboardsBefore);
  });

  test("every chart's data through the chart-data API equals the marts queried directly", async () => {
    assert.deepEqual(Object.keys(EXPECTED).sort(), assets.charts.map((c) => c.name).sort(), 'every chart of bi/charts needs an expectation here');
    const ids = new Map((await api.charts()).map((c) => [c.slice_name, c.id]));
    const marts = new pg.Client({ connectionString: db.url });
    await marts.connect();
    try {
      for (const chart of assets.charts) {
        const spec = EXPECTED[chart.name]!;
        const result: ChartData[] = await api.chartData(ids.get(chart.slice_name)!);
        assert.equal(result.length, 1, `${chart.name}: one query`);
        assert.ok(!result[0]!.error, `${chart.name}: ${result[0]!.error}`);
        const { rows } = await marts.query(spec.sql);
        assertSameRows(chart.name, result[0]!.data, rows, spec);
      }
      // the example of the issue, spelled out: the revenue dashboard's total is sum(gmv) of the daily mart
      const total = (await api.chartData(ids.get('Total GMV')!))[0]!.data[0]!.gmv as number;
      const { rows } = await marts.query<{ gmv: string }>('select sum(gmv) as gmv from marts.daily_revenue');
      assert.equal(total.toFixed(2), rows[0]!.gmv);
    } finally {
      await marts.end();
    }
  });

  test('headless Chromium opens every dashboard: every chart drew and none shows an error', async () => {
    const shots = process.env.OLIST_BI_SCREENSHOT_DIR ?? path.join(home, 'screenshots');
    await fs.mkdir(shots, { recursive: true });
    const browser = await openBrowser();
    try {
      const page = await login(browser, baseUrl(), 'admin', biPassword);
      for (const d of assets.dashboards) {
        const charts = d.rows.flat().map((cell) => assets.charts.find((c) => c.name === (typeof cell === 'string' ? cell : cell.chart))!);
        const view = await viewDashboard(page, baseUrl(), d.slug, charts.length, path.join(shots, `dashboard-${d.slug}.png`));
        assert.equal(view.charts.length, charts.length, `${d.slug}: charts on the page`);
        assert.deepEqual(view.charts.map((c) => c.title).sort(), charts.map((c) => c.slice_name).sort(), `${d.slug}: chart titles`);
        assert.deepEqual(view.filters, (d.filters ?? []).map((f) => f.name), `${d.slug}: native filters in the filter bar`);
        const failing = view.charts.map((c) => [c.title, chartProblem(c)] as const).filter(([, problem]) => problem !== null);
        assert.deepEqual(failing, [], `${d.slug}: ${failing.map(([t, p]) => `"${t}" ${p}`).join('; ')}`);
      }
    } finally {
      await browser.close();
    }
  });

  test('olist bi stop stops the server cleanly: its processes end and the port closes', async () => {
    const pid = Number((await fs.readFile(path.join(home, 'superset', 'gunicorn.pid'), 'utf8')).trim());
    assert.equal(await processEnded(pid), false, 'gunicorn runs before the stop');
    const stop = await runCli(['bi', 'stop'], env);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, new RegExp(`stopped Superset \\(pid ${pid}\\)`));
    assert.equal(await processEnded(pid), true, 'gunicorn has exited');
    await assert.rejects(fetch(`${baseUrl()}/health`), 'nothing answers on the port any more');
    const again = await runCli(['bi', 'stop'], env);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /Superset was not running/);
  });
});

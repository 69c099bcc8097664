/**
 * The dashboards as code: bi/{databases,datasets,charts,dashboards}/*.yaml (one file per asset,
 * written for people) -> a Superset asset bundle (the export format Superset imports).
 *
 * What the builder adds is bookkeeping only, never a business rule:
 * - uuids, derived from the file's path (uuid v5), so a re-import finds and overwrites the same
 *   assets instead of creating copies, and no uuid clutters the YAML;
 * - the references between files by name (a chart's `dataset: daily_revenue` becomes the
 *   dataset's uuid; a dashboard's rows of chart names become Superset's position tree; a native
 *   filter's `dataset`/`column` become its target);
 * - each dataset's columns with their types, read from the database at import time (the SQL model
 *   is the one place a column is declared);
 * - the database's connection URI, given at import time (never committed);
 * - each chart's saved query context, derived from its params (a generic mapping: columns,
 *   metrics, order, limit). Superset's chart-data API (`GET /api/v1/chart/{id}/data/`) and its
 *   reports run that saved context; the browser builds its own from the same params.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { projectPath } from '../paths.ts';

export const BI_DIR = projectPath('bi');
/** Folder name inside the zip; Superset wants exactly one top-level folder. */
export const BUNDLE_ROOT = 'olist_bundle';

type Obj = Record<string, unknown>;

export interface DatasetColumn {
  column_name: string;
  type: string;
  is_dttm: boolean;
}

export interface ChartSpec {
  /** File stem under bi/charts (the chart's name in dashboards and tests). */
  name: string;
  slice_name: string;
  viz_type: string;
  dataset: string;
  description?: string;
  params: Obj;
}

export interface DatasetSpec {
  name: string;
  table_name: string;
  schema: string;
  database: string;
  description?: string;
  main_dttm_col?: string;
  columns?: Obj[];
  metrics: Array<{ metric_name: string; expression: string; verbose_name?: string; d3format?: string; description?: string }>;
}

export interface DashboardSpec {
  name: string;
  dashboard_title: string;
  slug: string;
  description?: string;
  /** Rows of charts: each entry `chart_name` or `{chart, width, height}` (12 columns per row). */
  rows: Array<Array<string | { chart: string; width?: number; height?: number }>>;
  filters?: Array<{ name: string; type: 'time' | 'select'; dataset?: string; column?: string; multi?: boolean; charts?: string[]; description?: string }>;
}

export interface DatabaseSpec {
  name: string;
  database_name: string;
  [key: string]: unknown;
}

export interface BiAssets {
  databases: DatabaseSpec[];
  datasets: DatasetSpec[];
  charts: ChartSpec[];
  dashboards: DashboardSpec[];
}

// A fixed namespace for our uuids (uuid v5, RFC 4122 section 4.3).
const NAMESPACE = Buffer.from('6f6c6973-742d-7761-7265-686f7573652e', 'hex');

/** Deterministic uuid v5 of a name: the same file always imports as the same asset. */
export function assetUuid(name: string): string {
  const hash = createHash('sha1').update(NAMESPACE).update(name).digest();
  const b = Buffer.from(hash.subarray(0, 16));
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

async function readKind<T>(kind: string, dir: string): Promise<T[]> {
  const folder = path.join(dir, kind);
  const files = (await fs.readdir(folder).catch(() => [] as string[])).filter((f) => f.endsWith('.yaml')).sort();
  return Promise.all(
    files.map(async (f) => {
      const file = path.join(folder, f);
      const doc = YAML.parse(await fs.readFile(file, 'utf8')) as Obj | null;
      if (!doc || typeof doc !== 'object') throw new Error(`${file}: not a YAML mapping`);
      return { name: f.replace(/\.yaml$/, ''), ...doc } as T;
    }),
  );
}

/** Reads bi/ and checks that every reference between files resolves (a typo fails here, named). */
export async function loadAssets(dir: string = BI_DIR): Promise<BiAssets> {
  const assets: BiAssets = {
    databases: await readKind<DatabaseSpec>('databases', dir),
    datasets: await readKind<DatasetSpec>('datasets', dir),
    charts: await readKind<ChartSpec>('charts', dir),
    dashboards: await readKind<DashboardSpec>('dashboards', dir),
  };
  const problems: string[] = [];
  const names = (xs: { name: string }[]) => new Set(xs.map((x) => x.name));
  const databases = names(assets.databases);
  const datasets = names(assets.datasets);
  const charts = names(assets.charts);
  for (const d of assets.datasets) {
    if (!databases.has(d.database)) problems.push(`bi/datasets/${d.name}.yaml: database '${d.database}' is not in bi/databases/`);
  }
  for (const c of assets.charts) {
    if (!datasets.has(c.dataset)) problems.push(`bi/charts/${c.name}.yaml: dataset '${c.dataset}' is not in bi/datasets/`);
    const metrics = new Set(assets.datasets.find((d) => d.name === c.dataset)?.metrics.map((m) => m.metric_name));
    for (const m of chartMetrics(c.params)) {
      if (typeof m === 'string' && !metrics.has(m)) problems.push(`bi/charts/${c.name}.yaml: metric '${m}' is not defined in bi/datasets/${c.dataset}.yaml`);
    }
  }
  for (const b of assets.dashboards) {
    for (const row of b.rows) {
      for (const cell of row) {
        const chart = typeof cell === 'string' ? cell : cell.chart;
        if (!charts.has(chart)) problems.push(`bi/dashboards/${b.name}.yaml: chart '${chart}' is not in bi/charts/`);
      }
    }
    for (const f of b.filters ?? []) {
      if (f.type === 'select' && (!f.dataset || !datasets.has(f.dataset) || !f.column)) problems.push(`bi/dashboards/${b.name}.yaml: filter '${f.name}' needs a dataset of bi/datasets/ and a column`);
      for (const c of f.charts ?? []) if (!charts.has(c)) problems.push(`bi/dashboards/${b.name}.yaml: filter '${f.name}' names chart '${c}', which is not in bi/charts/`);
    }
  }
  if (problems.length) throw new Error(`bi/ has broken references:\n  ${problems.join('\n  ')}`);
  return assets;
}

function chartMetrics(params: Obj): unknown[] {
  const list = (params.metrics as unknown[] | undefined) ?? [];
  return [...list, ...(params.metric ? [params.metric] : []), ...(params.secondary_metric ? [params.secondary_metric] : [])];
}

/**
 * The query a chart's data comes from, as Superset's chart-data API takes it: the params' columns
 * (x axis, group-by, raw columns, map entity) and metrics, their order and row limit. Generic on
 * purpose: the charts' meaning is in their params, this only restates it in the API's shape.
 */
export function queryContext(chart: ChartSpec, datasourceId = 0): Obj {
  const p = chart.params;
  const raw = p.query_mode === 'raw';
  const columns = raw
    ? ((p.all_columns as string[]) ?? [])
    : [p.x_axis, ...((p.groupby as string[] | undefined) ?? []), p.entity, p.series].filter((c): c is string => typeof c === 'string');
  const metrics = raw ? [] : chartMetrics(p);
  const orderby = raw
    ? ((p.order_by_cols as string[] | undefined) ?? []).map((s) => JSON.parse(s) as [string, boolean])
    : p.x_axis
      ? []
      : metrics.length && p.order_desc !== false
        ? [[metrics[0], false]]
        : [];
  if (p.timeseries_limit_metric && !raw) orderby.splice(0, orderby.length, [p.timeseries_limit_metric, !(p.order_desc ?? true)]);
  const filters = ((p.adhoc_filters as Obj[] | undefined) ?? [])
    .filter((f) => f.expressionType === 'SIMPLE' && f.operator !== 'TEMPORAL_RANGE')
    .map((f) => ({ col: f.subject, op: f.operator, val: f.comparator }));
  return {
    datasource: { id: datasourceId, type: 'table' },
    force: false,
    queries: [
      {
        filters,
        extras: { having: '', where: '' },
        applied_time_extras: {},
        columns,
        metrics,
        orderby,
        annotation_layers: [],
        row_limit: (p.row_limit as number | undefined) ?? 10_000,
        series_limit: 0,
        order_desc: true,
        url_params: {},
        custom_params: {},
        custom_form_data: {},
      },
    ],
    form_data: { ...p, viz_type: chart.viz_type },
    result_format: 'json',
    result_type: 'full',
  };
}

/** Superset's position tree for a dashboard's rows of charts. */
function position(b: DashboardSpec, charts: Map<string, ChartSpec>, chartIds: Map<string, number>): Obj {
  const tree: Obj = {
    DASHBOARD_VERSION_KEY: 'v2',
    ROOT_ID: { type: 'ROOT', id: 'ROOT_ID', children: ['GRID_ID'] },
    GRID_ID: { type: 'GRID', id: 'GRID_ID', children: [] as string[], parents: ['ROOT_ID'] },
    HEADER_ID: { type: 'HEADER', id: 'HEADER_ID', meta: { text: b.dashboard_title } },
  };
  const grid = tree.GRID_ID as { children: string[] };
  b.rows.forEach((row, r) => {
    const rowId = `ROW-${r + 1}`;
    grid.children.push(rowId);
    const children: string[] = [];
    const width = Math.floor(12 / row.length);
    row.forEach((cell, c) => {
      const spec = typeof cell === 'string' ? { chart: cell } : cell;
      const chart = charts.get(spec.chart)!;
      const id = `CHART-${r + 1}-${c + 1}`;
      children.push(id);
      tree[id] = {
        type: 'CHART',
        id,
        children: [],
        parents: ['ROOT_ID', 'GRID_ID', rowId],
        // a placeholder id, unique in the bundle: the importer maps it (by uuid) to the real one
        meta: { chartId: chartIds.get(chart.name)!, uuid: assetUuid(`chart/${chart.name}`), sliceName: chart.slice_name, width: spec.width ?? width, height: spec.height ?? 50 },
      };
    });
    tree[rowId] = { type: 'ROW', id: rowId, children, parents: ['ROOT_ID', 'GRID_ID'], meta: { background: 'BACKGROUND_TRANSPARENT' } };
  });
  return tree;
}

function dashboardCharts(b: DashboardSpec): string[] {
  return b.rows.flat().map((cell) => (typeof cell === 'string' ? cell : cell.chart));
}

/** Native filters; one limited to some charts excludes the dashboard's others (by placeholder id). */
function nativeFilters(b: DashboardSpec, chartIds: Map<string, number>): Obj[] {
  return (b.filters ?? []).map((f, i) => {
    const excluded = f.charts ? dashboardCharts(b).filter((c) => !f.charts!.includes(c)).map((c) => chartIds.get(c)!) : [];
    const id = `NATIVE_FILTER-${b.name}-${i + 1}`;
    const common = {
      id,
      name: f.name,
      description: f.description ?? '',
      type: 'NATIVE_FILTER',
      cascadeParentIds: [],
      scope: { rootPath: ['ROOT_ID'], excluded },
      defaultDataMask: { extraFormData: {}, filterState: {}, ownState: {} },
    };
    if (f.type === 'time') return { ...common, filterType: 'filter_time', targets: [{}], controlValues: { enableEmptyFilter: false } };
    return {
      ...common,
      filterType: 'filter_select',
      targets: [{ column: { name: f.column }, datasetUuid: assetUuid(`dataset/${f.dataset}`) }],
      controlValues: { multiSelect: f.multi ?? true, enableEmptyFilter: false, defaultToFirstItem: false, inverseSelection: false, searchAllOptions: false },
    };
  });
}

export interface BundleInputs {
  /** Per database file stem: the SQLAlchemy URI with the password masked as XXXXXXXXXX. */
  databaseUris: Record<string, string>;
  /** Per dataset file stem: its columns, read from the database. */
  columns: Record<string, DatasetColumn[]>;
}

/** The bundle's files (path inside the zip -> YAML text). */
export function bundleFiles(assets: BiAssets, inputs: BundleInputs): Map<string, string> {
  const files = new Map<string, string>();
  const put = (p: string, doc: Obj) => files.set(`${BUNDLE_ROOT}/${p}`, YAML.stringify(doc, { lineWidth: 0 }));
  // No `type` key: the same zip then passes both `superset import-dashboards` and /api/v1/assets/import/.
  // Quoted: a bare ISO timestamp would reach Superset's validator as a YAML datetime and be refused.
  files.set(`${BUNDLE_ROOT}/metadata.yaml`, `version: 1.0.0\ntimestamp: '${new Date().toISOString()}'\n`);
  for (const d of assets.databases) {
    const uri = inputs.databaseUris[d.name];
    if (!uri) throw new Error(`no connection URI for bi/databases/${d.name}.yaml`);
    const { name, ...rest } = d;
    put(`databases/${name}.yaml`, { ...rest, sqlalchemy_uri: uri, uuid: assetUuid(`database/${name}`), version: '1.0.0' });
  }
  for (const d of assets.datasets) {
    const found = inputs.columns[d.name];
    if (!found?.length) throw new Error(`bi/datasets/${d.name}.yaml: ${d.schema}.${d.table_name} has no columns the analyst login can see (does it exist, is it granted?)`);
    const overrides = new Map((d.columns ?? []).map((c) => [c.column_name as string, c]));
    const { name, database, columns: _columns, ...rest } = d;
    put(`datasets/${name}.yaml`, {
      ...rest,
      columns: [
        ...found.map((c) => ({ ...c, groupby: true, filterable: true, is_active: true, ...overrides.get(c.column_name) })),
        // calculated columns (an `expression`): presentation only, e.g. the map's key format
        ...[...overrides.values()]
          .filter((c) => c.expression && !found.some((f) => f.column_name === c.column_name))
          .map((c) => ({ type: 'VARCHAR', is_dttm: false, groupby: true, filterable: true, is_active: true, ...c })),
      ],
      metrics: d.metrics.map((m) => ({ metric_type: null, warning_text: null, extra: {}, ...m })),
      database_uuid: assetUuid(`database/${database}`),
      uuid: assetUuid(`dataset/${name}`),
      version: '1.0.0',
    });
  }
  const charts = new Map(assets.charts.map((c) => [c.name, c]));
  const chartIds = new Map(assets.charts.map((c, i) => [c.name, i + 1]));
  for (const c of assets.charts) {
    put(`charts/${c.name}.yaml`, {
      slice_name: c.slice_name,
      viz_type: c.viz_type,
      description: c.description ?? null,
      params: { ...c.params, viz_type: c.viz_type },
      query_context: JSON.stringify(queryContext(c)),
      cache_timeout: null,
      dataset_uuid: assetUuid(`dataset/${c.dataset}`),
      uuid: assetUuid(`chart/${c.name}`),
      version: '1.0.0',
    });
  }
  for (const b of assets.dashboards) {
    put(`dashboards/${b.name}.yaml`, {
      dashboard_title: b.dashboard_title,
      slug: b.slug,
      description: b.description ?? null,
      css: '',
      published: true,
      position: position(b, charts, chartIds),
      metadata: {
        native_filter_configuration: nativeFilters(b, chartIds),
        // no dashboard colour scheme: it would override the maps' value scales with categories
        refresh_frequency: 0,
        expanded_slices: {},
        label_colors: {},
        timed_refresh_immune_slices: [],
        cross_filters_enabled: false,
      },
      uuid: assetUuid(`dashboard/${b.name}`),
      version: '1.0.0',
    });
  }
  return files;
}

/** Writes the bundle's files under `dir` (the zip is made of `dir/olist_bundle`). */
export async function writeBundle(files: Map<string, string>, dir: string): Promise<string> {
  await fs.rm(path.join(dir, BUNDLE_ROOT), { recursive: true, force: true });
  for (const [p, text] of files) {
    await fs.mkdir(path.dirname(path.join(dir, p)), { recursive: true });
    await fs.writeFile(path.join(dir, p), text, { mode: 0o600 });
  }
  return path.join(dir, BUNDLE_ROOT);
}

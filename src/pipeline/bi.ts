/**
 * `olist bi`: Superset over the published warehouse, set up and updated in one idempotent step.
 *
 * 1. the warehouse's server (embedded by default) with migrations and the read-only analyst login;
 * 2. Superset's venv (cached outside the checkout) and its metadata in the `superset` database of
 *    the same server;
 * 3. the web server on 127.0.0.1 (restarted if it ran);
 * 4. the dashboards of bi/ as an asset bundle, imported through the REST API, which overwrites the
 *    assets of the same uuids: a re-run updates the dashboards in place. The warehouse is registered
 *    through the analyst login, so nothing Superset runs can write or read raw/audit data.
 */
import path from 'node:path';
import pg from 'pg';
import type { Config } from '../config.ts';
import { analystUrl } from '../db/analyst.ts';
import type { Logger } from '../log.ts';
import { SupersetApi } from '../bi/api.ts';
import { bundleFiles, loadAssets, writeBundle, type BiAssets, type DatasetColumn } from '../bi/bundle.ts';
import { biSettings, ensureMetadataDatabase, prepareMetadata, serverLog, startServer, stopServer, supersetVenv, zipBundle, type BiSettings } from '../bi/superset.ts';
import { openContext } from './context.ts';

/** Superset shows the password of a registered database as this mask; the import takes the real one apart. */
const MASK = 'XXXXXXXXXX';

export interface BiResult {
  url: string;
  user: string;
  password: string;
  passwordFile: string | undefined;
  dashboards: Array<{ title: string; url: string; charts: number }>;
  log: string;
  seconds: number;
}

/** The columns (and types) the analyst login sees in each dataset's table: what Superset will query. */
async function datasetColumns(assets: BiAssets, url: string): Promise<Record<string, DatasetColumn[]>> {
  const client = new pg.Client({ connectionString: url, application_name: 'olist bi' });
  await client.connect();
  try {
    const out: Record<string, DatasetColumn[]> = {};
    for (const d of assets.datasets) {
      const { rows } = await client.query<{ column_name: string; type: string; is_dttm: boolean }>(
        `select a.attname as column_name, upper(format_type(a.atttypid, a.atttypmod)) as type,
                a.atttypid in ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype) as is_dttm
           from pg_attribute a
          where a.attrelid = to_regclass(format('%I.%I', $1::text, $2::text)) and a.attnum > 0 and not a.attisdropped
            and has_column_privilege(a.attrelid, a.attnum, 'select')
          order by a.attnum`,
        [d.schema, d.table_name],
      );
      out[d.name] = rows;
    }
    return out;
  } finally {
    await client.end();
  }
}

/**
 * The bundle of bi/ for this warehouse: each dataset's columns as the analyst login sees them, the
 * database entry pointing at that login with its password masked (it travels apart, never in a file).
 */
async function buildBundle(config: Config): Promise<{ assets: BiAssets; files: Map<string, string>; password: string }> {
  const assets = await loadAssets();
  const analyst = await analystUrl(config);
  const masked = new URL(analyst);
  const password = decodeURIComponent(masked.password);
  masked.password = MASK;
  const uri = masked.toString().replace(/^postgres(ql)?:/, 'postgresql+psycopg2:');
  const files = bundleFiles(assets, {
    databaseUris: Object.fromEntries(assets.databases.map((d) => [d.name, uri])),
    columns: await datasetColumns(assets, analyst),
  });
  return { assets, files, password };
}

/**
 * `olist bi bundle --out DIR`: the bundle's files without a local Superset, for a Superset that
 * runs elsewhere (the compose stack's imports DIR/olist_bundle at every start: deploy/superset/start.sh).
 */
export async function exportBundle(config: Config, outDir: string): Promise<{ dir: string; files: number; charts: number; dashboards: number }> {
  const { assets, files } = await buildBundle(config);
  const dir = await writeBundle(files, path.resolve(outDir));
  return { dir, files: files.size, charts: assets.charts.length, dashboards: assets.dashboards.length };
}

/** Builds the bundle for this warehouse and imports it (the analyst's password goes apart from the zip). */
export async function importDashboards(api: SupersetApi, settings: BiSettings, venv: string, config: Config, log: Logger): Promise<BiAssets> {
  const { assets, files, password } = await buildBundle(config);
  const workDir = path.join(settings.dir, 'bundle');
  const bundleDir = await writeBundle(files, workDir);
  const zip = path.join(workDir, 'olist_bundle.zip');
  await zipBundle(venv, bundleDir, zip);
  await api.importAssets(zip, Object.fromEntries(assets.databases.map((d) => [`databases/${d.name}.yaml`, password])));
  log.info({ charts: assets.charts.length, dashboards: assets.dashboards.length }, 'dashboards imported');
  return assets;
}

export async function biUp(config: Config, log: Logger, say: (line: string) => void): Promise<BiResult> {
  const started = performance.now();
  // migrations and the analyst login (what `olist migrate` does); the server stays up for Superset
  const ctx = await openContext(config, log);
  const warehouseUrl = ctx.db.url;
  await ctx.db.close();
  const settings = await biSettings(config, warehouseUrl);
  say('Superset: checking its venv (the first install takes a few minutes)');
  const venv = await supersetVenv(log);
  await ensureMetadataDatabase(settings);
  say(`Superset: metadata in ${new URL(settings.metadataUrl).pathname.slice(1)} (migrations, roles, admin login)`);
  await prepareMetadata(venv, settings, log);
  say(`Superset: starting on ${settings.url}`);
  await startServer(venv, settings, log);
  const api = await SupersetApi.login(settings.url, settings.user, settings.password);
  const assets = await importDashboards(api, settings, venv, config, log);
  const existing = await api.dashboards();
  const dashboards = assets.dashboards.map((b) => {
    const found = existing.find((d) => d.slug === b.slug);
    if (!found) throw new Error(`dashboard ${b.slug} missing after the import`);
    return { title: b.dashboard_title, url: `${settings.url}/superset/dashboard/${b.slug}/`, charts: b.rows.flat().length };
  });
  return {
    url: settings.url,
    user: settings.user,
    password: settings.password,
    passwordFile: process.env.OLIST_BI_PASSWORD ? undefined : path.join(settings.dir, 'admin-password'),
    dashboards,
    log: serverLog(settings),
    seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  };
}

export async function biStop(config: Config, log: Logger): Promise<number | undefined> {
  const settings = await biSettings(config, config.databaseUrl ?? 'postgres://localhost/olist');
  return stopServer(settings, log);
}

// Screenshots of every dashboard for docs/ (docs/img/dashboard-<slug>.png), taken from the Superset
// that `olist bi` started (same OLIST_HOME / OLIST_BI_PORT), with the same browser checks as the
// tests: fails if a chart shows an error or drew nothing. Usage: node --import tsx scripts/bi-screenshots.ts
import fs from 'node:fs/promises';
import path from 'node:path';
import { loadAssets } from '../src/bi/bundle.ts';
import { loadConfig } from '../src/config.ts';
import { projectPath } from '../src/paths.ts';
import { chartProblem, login, openBrowser, viewDashboard } from '../test/helpers/dashboardBrowser.ts';

const config = loadConfig();
const port = Number(process.env.OLIST_BI_PORT ?? 8088);
const password = process.env.OLIST_BI_PASSWORD ?? (await fs.readFile(path.join(config.home, 'superset', 'admin-password'), 'utf8')).trim();
const baseUrl = `http://127.0.0.1:${port}`;
const outDir = projectPath('docs', 'img');
await fs.mkdir(outDir, { recursive: true });
const assets = await loadAssets();
const browser = await openBrowser();
let failed = false;
try {
  const page = await login(browser, baseUrl, process.env.OLIST_BI_USER ?? 'admin', password);
  for (const d of assets.dashboards) {
    const file = path.join(outDir, `dashboard-${d.slug}.png`);
    const view = await viewDashboard(page, baseUrl, d.slug, d.rows.flat().length, file);
    const bad = view.charts.filter((c) => chartProblem(c) !== null).map((c) => `${c.title}: ${chartProblem(c)}`);
    failed ||= bad.length > 0;
    console.log(`${d.slug}: ${view.charts.length} charts, ${bad.length ? `PROBLEMS ${JSON.stringify(bad)}` : 'all drew'} -> ${path.relative(projectPath(), file)}`);
  }
} finally {
  await browser.close();
}
if (failed) process.exit(1);

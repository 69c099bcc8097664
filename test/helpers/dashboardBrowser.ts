/**
 * Headless Chromium (Debian's package, driven by playwright-core) opening Superset dashboards the
 * way a person does: log in through the form, open the dashboard, wait until every chart has
 * finished loading, then report per chart whether it drew (a canvas, an svg, a table or a big
 * number) and whether it shows an error.
 */
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.OLIST_CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface ChartView {
  title: string;
  drew: boolean;
  error: string | null;
}

export interface DashboardView {
  title: string;
  charts: ChartView[];
}

export async function openBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
}

export async function login(browser: Browser, baseUrl: string, user: string, password: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(`${baseUrl}/login/`);
  await page.locator('input[name="username"], #username').first().fill(user);
  await page.locator('input[name="password"], #password').first().fill(password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.locator('button[type="submit"], input[type="submit"]').first().click()]);
  return page;
}

/** Opens a dashboard and waits (bounded by the test's timeout) until no chart is loading. */
export async function viewDashboard(page: Page, baseUrl: string, slug: string, expectedCharts: number, screenshot?: string): Promise<DashboardView> {
  await page.goto(`${baseUrl}/superset/dashboard/${slug}/`);
  const holders = page.locator('.dashboard-component-chart-holder');
  await page.waitForFunction(
    (n) => {
      const charts = [...document.querySelectorAll('.dashboard-component-chart-holder')];
      if (charts.length < n) return false;
      return charts.every((c) => !c.querySelector('.loading, [data-test="loading-indicator"], [aria-label="Loading"]') &&
        (c.querySelector('canvas, svg, table, .header-line, .big-number, [data-test="error-message"], .alert, [role="alert"]') !== null));
    },
    expectedCharts,
    { timeout: 120_000, polling: 250 },
  );
  // let the last animations settle before the screenshot
  await page.waitForTimeout(800);
  const charts = await holders.evaluateAll((els) =>
    els.map((c) => {
      const error = c.querySelector('[data-test="error-message"], .alert-danger, .ant-alert-error, [role="alert"]');
      const title = (c.querySelector('[data-test="editable-title"], .header-title, [data-test="slice-header"] .editable-title') ?? c.querySelector('[data-test="slice-header"]'))?.textContent?.trim() ?? '';
      const drew = Boolean(c.querySelector('canvas, svg path, table tbody tr, .header-line'));
      return { title, drew, error: error ? (error.textContent ?? 'error').trim().slice(0, 300) : null };
    }),
  );
  const title = (await page.title()).trim();
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true, type: 'png' });
  return { title, charts };
}

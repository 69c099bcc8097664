/**
 * Headless Chromium (Debian's package, driven by playwright-core) opening Superset dashboards the
 * way a person does: log in through the form, open the dashboard, wait until every chart has
 * settled, then report per chart (by its name) what it drew and whether it shows an error or
 * Superset's empty state.
 *
 * "Drew" is judged strictly, inside each chart's own body (`.slice_container`, below the header
 * with its svg icons) and outside Superset's empty-state picture (`.ant-empty`, an svg too):
 * a canvas with painted pixels (ECharts), svg shapes (the map of Brazil), table rows with cells,
 * or a big number with a digit. DOM names checked against Superset 6.1's frontend
 * (`.chart-slice[data-test-chart-name]`, `.slice_container`, `[data-test="loading-indicator"]`,
 * EmptyState = antd `Empty`, ErrorAlert = antd `Alert` type error).
 */
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.OLIST_CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface ChartView {
  /** The chart's name (slice_name), from Superset's `data-test-chart-name`. */
  title: string;
  /** The chart drew its own content (see `content`). */
  drew: boolean;
  /** What it drew, e.g. "canvas 18234 px", "svg 27 shapes", "table 12 rows", "number 1,234"; '' if nothing. */
  content: string;
  /** Superset's empty state ("No results were returned for this query") shows instead of the chart. */
  empty: boolean;
  error: string | null;
}

export interface DashboardView {
  title: string;
  charts: ChartView[];
  /** Names of the native filters in the filter bar. */
  filters: string[];
}

/** How long a dashboard may take until every chart has settled. */
const SETTLE_TIMEOUT_MS = 120_000;

/**
 * The in-page probe, as JavaScript source rather than a TypeScript function: tsx compiles with
 * esbuild's keepNames, which wraps named functions in a `__name()` helper that does not exist in
 * the page. Returns one entry per chart holder plus a signature of what is drawn, so the caller
 * can wait until two polls in a row see the same picture (animations over).
 */
const PROBE = String.raw`() => {
  const holders = [...document.querySelectorAll('.dashboard-component-chart-holder')];
  const charts = holders.map((holder) => {
    const slice = holder.querySelector('.chart-slice');
    const title = (slice && slice.getAttribute('data-test-chart-name')) || '';
    const errorEl = holder.querySelector('.ant-alert-error, [data-test="error-message"], [role="alert"]');
    const error = errorEl ? (errorEl.textContent || 'error').trim().slice(0, 300) : null;
    const loading = holder.querySelector('[data-test="loading-indicator"], .loading') !== null;
    const body = holder.querySelector('.slice_container');
    const empty = holder.querySelector('.ant-empty, [role="img"][aria-label="empty"]') !== null;
    const own = (el) => !el.closest('.ant-empty');
    let content = '';
    let signature = 0;
    if (body) {
      let painted = 0;
      for (const canvas of body.querySelectorAll('canvas')) {
        if (!own(canvas) || canvas.width === 0 || canvas.height === 0) continue;
        const ctx = canvas.getContext('2d');
        if (!ctx) continue;
        const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        // every 7th pixel is enough to see a drawing and cheap at 4 polls a second
        for (let i = 3; i < px.length; i += 28) if (px[i] > 0) { painted++; signature += px[i - 3] + px[i - 2] + px[i - 1]; }
      }
      // a table chart counts by its data rows only: its header's sort icons are svg too
      const isTable = body.querySelector('table') !== null;
      const shapes = [...body.querySelectorAll('svg path[d], svg rect, svg circle, svg polygon')]
        .filter((s) => !isTable && own(s) && !s.closest('button, [role="button"], .anticon'))
        .filter((s) => s.tagName !== 'path' || (s.getAttribute('d') || '').length > 2);
      const rows = [...body.querySelectorAll('table tbody tr')].filter((r) => own(r) && r.querySelector('td') && !/no records found/i.test(r.textContent || ''));
      const number = [...body.querySelectorAll('.header-line')].map((n) => (n.textContent || '').trim()).find((t) => /\d/.test(t));
      if (isTable) content = rows.length > 0 ? 'table ' + rows.length + ' rows' : '';
      else if (painted > 0) content = 'canvas ' + painted + ' px';
      else if (shapes.length > 0) content = 'svg ' + shapes.length + ' shapes';
      else if (number) content = 'number ' + number;
      signature += shapes.length * 1000 + rows.length * 100 + (number ? number.length : 0);
    }
    const drew = content !== '' && !empty;
    return { title, drew, content, empty, error, loading, signature };
  });
  return charts;
}`;

interface Probed extends ChartView {
  loading: boolean;
  signature: number;
}

export async function openBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
}

/** Attempts at the login form before giving up (see login). */
const LOGIN_ATTEMPTS = 3;

/**
 * Logs in through Superset's form, as a person does. The form is a React page: typing starts once
 * the page is quiet (its scripts and bootstrap requests done), and the fields must hold what was
 * typed before the click. A refused login sends the browser back to `/login/?next=...`; that is
 * tried again, up to LOGIN_ATTEMPTS, because CI saw it once (stop 17) right after the same password
 * had logged in through the API, and the error then says what the page showed each time.
 */
export async function login(browser: Browser, baseUrl: string, user: string, password: string): Promise<Page> {
  // Tall enough for a whole dashboard: Superset renders only the charts in view, and a full-page
  // screenshot that resizes the window would make it redraw them all, blank at first.
  const page = await browser.newPage({ viewport: { width: 1280, height: 2400 } });
  const refusals: string[] = [];
  for (let attempt = 1; attempt <= LOGIN_ATTEMPTS; attempt++) {
    await page.goto(`${baseUrl}/login/`, { waitUntil: 'networkidle' });
    if (!new URL(page.url()).pathname.startsWith('/login')) return page; // the session is logged in already
    const name = page.locator('input[name="username"], #username').first();
    const secret = page.locator('input[name="password"], #password').first();
    await name.fill(user);
    await secret.fill(password);
    if ((await name.inputValue()) !== user || (await secret.inputValue()) !== password) {
      refusals.push(`attempt ${attempt}: the form lost what was typed (the page re-rendered)`);
      continue;
    }
    const before = page.url();
    await Promise.all([page.waitForURL((u) => u.href !== before, { timeout: 60_000 }), page.locator('button[type="submit"], input[type="submit"]').first().click()]);
    if (!new URL(page.url()).pathname.startsWith('/login')) return page;
    await page.waitForLoadState('networkidle');
    const shown = (await page.locator('[role="alert"], .ant-message, .ant-alert, .toast').allInnerTexts()).map((t) => t.trim()).filter(Boolean);
    refusals.push(`attempt ${attempt}: back on ${new URL(page.url()).pathname}${new URL(page.url()).search} (${shown.join(' | ') || 'no message shown'})`);
  }
  throw new Error(`Superset refused the login of ${user} through the form ${LOGIN_ATTEMPTS} times: ${refusals.join('; ')}`);
}

/**
 * Opens a dashboard and waits until it has settled: the expected number of charts, none loading,
 * each showing its content, the empty state or an error, and the same picture on two polls in a
 * row (ECharts animates its first draw). Bounded by SETTLE_TIMEOUT_MS; on timeout the error says
 * which charts had not settled.
 */
export async function viewDashboard(page: Page, baseUrl: string, slug: string, expectedCharts: number, screenshot?: string): Promise<DashboardView> {
  await page.goto(`${baseUrl}/superset/dashboard/${slug}/`);
  const settled = `(() => {
    const charts = (${PROBE})();
    const done = charts.length >= ${expectedCharts} && charts.every((c) => !c.loading && (c.drew || c.empty || c.error !== null));
    const signature = JSON.stringify(charts.map((c) => [c.title, c.signature, c.empty, c.error]));
    const stable = done && window.__olistLastSignature === signature;
    window.__olistLastSignature = signature;
    return stable;
  })()`;
  try {
    await page.waitForFunction(settled, undefined, { timeout: SETTLE_TIMEOUT_MS, polling: 250 });
  } catch (err) {
    const charts = (await page.evaluate(`(${PROBE})()`)) as Probed[];
    const pending = charts.filter((c) => c.loading || !(c.drew || c.empty || c.error !== null)).map((c) => c.title || '(untitled)');
    throw new Error(`${slug}: not settled after ${SETTLE_TIMEOUT_MS / 1000} s: ${charts.length}/${expectedCharts} charts on the page; still loading or blank: ${pending.join(', ') || 'none'} (${(err as Error).message.split('\n')[0]})`);
  }
  const probed = (await page.evaluate(`(${PROBE})()`)) as Probed[];
  const charts: ChartView[] = probed.map(({ title, drew, content, empty, error }) => ({ title, drew, content, empty, error }));
  const title = (await page.title()).trim();
  const filters = await page.locator('[data-test="filter-bar"] [data-test="filter-control-name"]').allTextContents();
  if (screenshot) {
    const height = await page.evaluate(() =>
      Math.max(...[...document.querySelectorAll('.dashboard-component-chart-holder')].map((c) => c.getBoundingClientRect().bottom)) + 24,
    );
    await page.screenshot({ path: screenshot, type: 'png', clip: { x: 0, y: 0, width: 1280, height: Math.ceil(Math.min(Math.max(height, 600), 2400)) } });
  }
  return { title, charts, filters: filters.map((f) => f.trim()) };
}

/** Why a chart does not count as drawn, or null when it drew: for assertion messages. */
export function chartProblem(c: ChartView): string | null {
  if (c.error !== null) return `shows an error: ${c.error}`;
  if (c.empty) return 'shows the empty state ("No results")';
  if (!c.drew) return 'drew nothing of its own (no painted canvas, svg shape, table row or number)';
  return null;
}

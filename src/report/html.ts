import type { HistoryPoint, ReportCheck, ReportData } from './data.ts';

/**
 * The quality report as ONE self-contained HTML page: inline CSS, charts drawn server-side as inline
 * SVG, no script, no CDN. Written for people who do not read SQL: plain sentences first, the
 * technical rule and where it is declared in small print.
 */

const esc = (s: unknown): string =>
  String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const num = (n: number | null | undefined): string => (n === null || n === undefined ? '–' : n.toLocaleString('en-US'));

const LAYERS: Record<string, { title: string; blurb: string }> = {
  raw: { title: 'Loaded files', blurb: 'The nine CSV files as loaded: required values present, codes valid, keys unique, every row accounted for.' },
  staging: { title: 'Cleaned tables', blurb: 'One cleaned table per file: nothing lost on the way, and the known oddities of the data counted.' },
  warehouse: { title: 'Warehouse', blurb: 'Facts and dimensions: every sale, order and payment present once, with its customer, product and seller.' },
  marts: { title: 'Reports', blurb: 'The published figures (revenue, orders by state, sellers, delivery times) add up to the warehouse totals.' },
};

const STATUS = {
  fail: { label: 'Failed', hint: 'blocks publishing', cls: 'fail' },
  warn: { label: 'Warning', hint: 'reported, does not block', cls: 'warn' },
  pass: { label: 'Passed', hint: '', cls: 'pass' },
} as const;

const CSS = `
:root{--fail:#c62828;--fail-bg:#fdecea;--warn:#b26a00;--warn-bg:#fff4e0;--pass:#2e7d32;--pass-bg:#e9f5ea;--ink:#1f2933;--mute:#616e7c;--line:#e4e7eb;--bg:#f7f8fa}
*{box-sizing:border-box}body{margin:0;font:15px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--ink);background:var(--bg)}
main{max-width:1180px;margin:0 auto;padding:28px 24px 60px}h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:36px 0 6px}h3{font-size:16px;margin:0}
.sub{color:var(--mute);margin:0 0 18px}.banner{border-radius:10px;padding:18px 22px;margin:10px 0 18px;font-size:18px;font-weight:600}
.banner small{display:block;font-weight:400;font-size:14px;margin-top:4px}.banner.ok{background:var(--pass-bg);color:var(--pass);border:1px solid #b7dfb9}
.banner.bad{background:var(--fail-bg);color:var(--fail);border:1px solid #f5b7b1}.tiles{display:flex;gap:14px;flex-wrap:wrap;margin-bottom:8px}
.tile{flex:1;min-width:160px;background:#fff;border:1px solid var(--line);border-radius:10px;padding:14px 18px}.tile b{display:block;font-size:30px;line-height:1.1}
.tile.fail b{color:var(--fail)}.tile.warn b{color:var(--warn)}.tile.pass b{color:var(--pass)}.tile span{color:var(--mute);font-size:13px}
.card{background:#fff;border:1px solid var(--line);border-left:5px solid var(--line);border-radius:8px;padding:12px 16px;margin:10px 0;display:grid;grid-template-columns:1fr 170px;gap:4px 18px}
.card.fail{border-left-color:var(--fail)}.card.warn{border-left-color:var(--warn)}.card .desc{font-weight:600}.card .meta{color:var(--mute);font-size:12.5px}
.card .count{font-size:14px}.card .count b{font-size:20px}.card .side{grid-row:1/span 4;grid-column:2;text-align:right}
.pill{display:inline-block;border-radius:999px;padding:1px 10px;font-size:12px;font-weight:600}.pill.fail{background:var(--fail-bg);color:var(--fail)}
.pill.warn{background:var(--warn-bg);color:var(--warn)}.pill.pass{background:var(--pass-bg);color:var(--pass)}
code,.keys{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}.keys{color:#3e4c59;word-break:break-all}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line);border-radius:8px;font-size:13.5px}
th,td{text-align:left;padding:7px 10px;border-bottom:1px solid var(--line);vertical-align:top}th{background:#f0f2f5;font-weight:600}td.n,th.n{text-align:right;white-space:nowrap}
details{background:#fff;border:1px solid var(--line);border-radius:8px;margin:10px 0;padding:0 14px}details>summary{cursor:pointer;padding:12px 0;font-weight:600}
details[open]>summary{border-bottom:1px solid var(--line);margin-bottom:8px}details table{border:0}.legend{color:var(--mute);font-size:13px}
.legend i{display:inline-block;width:11px;height:11px;border-radius:2px;margin:0 4px 0 12px;vertical-align:-1px}.chart{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 12px;margin:8px 0}
.muted{color:var(--mute)}footer{margin-top:40px;color:var(--mute);font-size:12px}
`;

/** A tiny trend line of failing rows per run (no axis: the count is printed next to it). */
function sparkline(trend: ReportCheck['trend'], width = 150, height = 30): string {
  if (trend.length < 2) return '';
  const max = Math.max(1, ...trend.map((t) => t.failingRows));
  const step = width / (trend.length - 1);
  const y = (v: number) => (height - 3 - (v / max) * (height - 6)).toFixed(1);
  const pts = trend.map((t, i) => `${(i * step).toFixed(1)},${y(t.failingRows)}`).join(' ');
  const dots = trend
    .map((t, i) => `<circle cx="${(i * step).toFixed(1)}" cy="${y(t.failingRows)}" r="2.2" fill="${t.status === 'fail' ? '#c62828' : t.status === 'warn' ? '#b26a00' : '#2e7d32'}"><title>run ${t.runId}: ${num(t.failingRows)}</title></circle>`)
    .join('');
  return `<svg width="${width}" height="${height}" viewBox="-3 0 ${width + 6} ${height}" role="img" aria-label="trend"><polyline points="${pts}" fill="none" stroke="#9aa5b1" stroke-width="1.5"/>${dots}</svg>`;
}

/** Stacked bars per run: failed and warning checks; bars of rows loaded below. */
function historyCharts(history: HistoryPoint[]): string {
  if (history.length === 0) return '<p class="muted">No history yet.</p>';
  const W = 1100;
  const H = 150;
  const left = 40;
  const bw = Math.min(36, (W - left) / history.length - 6);
  const gap = (W - left) / history.length;
  const maxChecks = Math.max(1, ...history.map((h) => h.failed + h.warned));
  const scale = (v: number, max: number) => (v / max) * (H - 30);
  const ticks = (max: number, fmt: (n: number) => string) =>
    [0, 0.5, 1].map((f) => `<text x="${left - 6}" y="${(H - 20 - f * (H - 30) + 4).toFixed(1)}" text-anchor="end" font-size="10" fill="#616e7c">${fmt(max * f)}</text><line x1="${left}" x2="${W}" y1="${(H - 20 - f * (H - 30)).toFixed(1)}" y2="${(H - 20 - f * (H - 30)).toFixed(1)}" stroke="#e4e7eb"/>`).join('');
  const labels = history.map((h, i) => `<text x="${(left + i * gap + gap / 2).toFixed(1)}" y="${H - 5}" text-anchor="middle" font-size="10" fill="#616e7c">#${h.runId}</text>`).join('');
  const bars1 = history.map((h, i) => {
    const x = left + i * gap + (gap - bw) / 2;
    const hf = scale(h.failed, maxChecks);
    const hw = scale(h.warned, maxChecks);
    const base = H - 20;
    return `<g><title>run ${h.runId} (${esc(h.command)}, ${esc(h.startedAt.slice(0, 16))}): ${h.failed} failed, ${h.warned} warnings of ${h.checks} checks${h.published ? ', published' : ''}</title>
      <rect x="${x.toFixed(1)}" y="${(base - hw).toFixed(1)}" width="${bw.toFixed(1)}" height="${hw.toFixed(1)}" fill="#f0a830"/>
      <rect x="${x.toFixed(1)}" y="${(base - hw - hf).toFixed(1)}" width="${bw.toFixed(1)}" height="${hf.toFixed(1)}" fill="#c62828"/>
      <text x="${(x + bw / 2).toFixed(1)}" y="${(base - hw - hf - 3).toFixed(1)}" text-anchor="middle" font-size="10" fill="#1f2933">${h.failed + h.warned}</text></g>`;
  }).join('');
  const loads = history.filter((h) => h.rowsLoaded !== null);
  const maxRows = Math.max(1, ...loads.map((h) => h.rowsLoaded!));
  const bars2 = history.map((h, i) => {
    if (h.rowsLoaded === null) return `<text x="${(left + i * gap + gap / 2).toFixed(1)}" y="${H - 24}" text-anchor="middle" font-size="9" fill="#9aa5b1">no load</text>`;
    const x = left + i * gap + (gap - bw) / 2;
    const hh = scale(h.rowsLoaded, maxRows);
    return `<g><title>run ${h.runId}: ${num(h.rowsLoaded)} rows loaded, ${num(h.rowsRejected)} rejected</title><rect x="${x.toFixed(1)}" y="${(H - 20 - hh).toFixed(1)}" width="${bw.toFixed(1)}" height="${hh.toFixed(1)}" fill="#4c7bd9"/></g>`;
  }).join('');
  const compact = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${Math.round(n / 1e3)}k` : String(Math.round(n)));
  return `
  <div class="chart"><div class="legend"><b>Checks not passing, per run</b><i style="background:#c62828"></i>failed<i style="background:#f0a830"></i>warnings</div>
  <svg width="100%" viewBox="0 0 ${W} ${H}" role="img" aria-label="checks failing per run">${ticks(maxChecks, (n) => String(Math.round(n)))}${bars1}${labels}</svg></div>
  <div class="chart"><div class="legend"><b>Rows loaded, per run</b> (all nine files; runs that only checked or published load nothing)</div>
  <svg width="100%" viewBox="0 0 ${W} ${H}" role="img" aria-label="rows loaded per run">${ticks(maxRows, compact)}${bars2}${labels}</svg></div>`;
}

function detailsText(c: ReportCheck): string {
  const by = c.details?.byColumn as Record<string, number> | undefined;
  const parts: string[] = [];
  if (by) parts.push(`by column: ${Object.entries(by).map(([k, v]) => `${esc(k)} ${num(v)}`).join(', ')}`);
  if (typeof c.details?.rows === 'number') parts.push(`${num(c.details.rows as number)} rows share these values`);
  if (c.note) parts.push(esc(c.note));
  return parts.join(' · ');
}

function card(c: ReportCheck): string {
  const s = STATUS[c.status];
  const extra = detailsText(c);
  return `<div class="card ${s.cls}">
    <div class="desc">${esc(c.description)}</div>
    <div class="side"><span class="pill ${s.cls}">${s.label}</span><div class="count"><b>${num(c.failingRows)}</b> ${c.kind === 'unique' ? 'duplicated values' : 'failing'}</div>${sparkline(c.trend)}</div>
    ${extra ? `<div class="meta">${extra}</div>` : ''}
    ${c.sample.length ? `<div class="keys">Examples: ${c.sample.slice(0, 6).map(esc).join(' · ')}</div>` : ''}
    <div class="meta">${esc(LAYERS[c.layer]?.title ?? c.layer)} › ${esc(c.target)} · check <code>${esc(c.name)}</code> · rule <code>${esc(c.rule ?? '')}</code> · declared in <code>${esc(c.declaredIn ?? '')}</code>${s.hint ? ` · ${s.hint}` : ''}</div>
  </div>`;
}

function layerSection(layer: string, checks: ReportCheck[]): string {
  const info = LAYERS[layer] ?? { title: layer, blurb: '' };
  const w = checks.filter((c) => c.status === 'warn').length;
  const f = checks.filter((c) => c.status === 'fail').length;
  const rows = checks
    .map((c) => `<tr><td><span class="pill ${c.status}">${STATUS[c.status].label}</span></td><td>${esc(c.description)}<div class="meta muted"><code>${esc(c.name)}</code>${c.note && c.status === 'pass' ? ` · ${esc(c.note)}` : ''}</div></td><td class="n">${num(c.failingRows)}</td><td class="keys">${c.sample.slice(0, 3).map(esc).join('<br>')}</td><td class="n">${num(c.durationMs)} ms</td></tr>`)
    .join('');
  return `<details${f ? ' open' : ''}><summary>${esc(info.title)} — ${checks.length} checks: ${checks.length - w - f} passed, ${w} warnings, ${f} failed</summary>
    <p class="legend" style="margin-top:0">${esc(info.blurb)}</p>
    <table><thead><tr><th>status</th><th>what is checked</th><th class="n">failing</th><th>examples</th><th class="n">time</th></tr></thead><tbody>${rows}</tbody></table></details>`;
}

export function renderHtml(d: ReportData): string {
  const g = d.gate;
  const attention = [...d.checks.filter((c) => c.status === 'fail'), ...d.checks.filter((c) => c.status === 'warn').sort((a, b) => b.failingRows - a.failingRows)];
  const verdict = g.passed
    ? `All ${d.summary.checks - d.summary.warn} blocking checks passed${g.published ? ' and the data was published' : ''}.`
    : `Publishing blocked: ${d.summary.fail} check${d.summary.fail === 1 ? '' : 's'} failed. The previously published data is unchanged.`;
  const byLayer = ['raw', 'staging', 'warehouse', 'marts'].map((l) => [l, d.checks.filter((c) => c.layer === l)] as const).filter(([, cs]) => cs.length);
  const totalRejected = d.load.files.reduce((a, f) => a + f.rowsRejected, 0);
  const files = d.load.files
    .map((f) => `<tr><td>${esc(f.file)}</td><td class="n">${num(f.rowsRead)}</td><td class="n">${num(f.rowsLoaded)}</td><td class="n">${f.rowsRejected ? `<b>${num(f.rowsRejected)}</b>` : '0'}</td></tr>`)
    .join('');
  const rejects = d.load.rejected
    .map((r) => `<tr><td>${esc(r.file)}</td><td>${esc(r.column ?? 'whole record')}</td><td>${esc(r.reason)}</td><td class="n">${num(r.rows)}</td><td class="n">${r.firstLines.map(num).join(', ')}</td><td class="keys">${esc((r.example ?? '').slice(0, 120))}</td></tr>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Olist data quality — run ${g.runId}: ${g.passed ? 'passed' : 'FAILED'}</title><style>${CSS}</style></head>
<body><main>
<h1>Olist data quality report</h1>
<p class="sub">Run #${g.runId} (<code>${esc(g.command)}</code>, ${g.staged ? 'new data before publishing' : 'published data'}) checked ${esc(g.checkedAt.slice(0, 19))} · data as of <b>${esc(g.logicalDate)}</b> · ${d.summary.checks} checks in ${(g.durationMs / 1000).toFixed(1)} s</p>
<div class="banner ${g.passed ? 'ok' : 'bad'}">${esc(verdict)}<small>${d.summary.warn} warning${d.summary.warn === 1 ? '' : 's'}: known issues of the data or unusual changes, counted and shown below. Warnings do not stop publishing.</small></div>
<div class="tiles">
  <div class="tile pass"><b>${d.summary.pass}</b><span>checks passed</span></div>
  <div class="tile warn"><b>${d.summary.warn}</b><span>warnings · ${num(d.summary.warnRows)} rows or values concerned</span></div>
  <div class="tile fail"><b>${d.summary.fail}</b><span>failed (block publishing)</span></div>
  <div class="tile"><b>${num(totalRejected)}</b><span>rows rejected at load</span></div>
</div>

<h2>What needs attention</h2>
<p class="legend">Failed checks first, then warnings by size. The small chart shows the count over the last runs.</p>
${attention.length ? attention.map(card).join('\n') : '<p>Nothing: every check passed.</p>'}

<h2>Run history</h2>
${historyCharts(d.history)}

<h2>Rejected rows</h2>
<p class="legend">Rows of the files that could not be loaded (wrong format, missing required value...). They are kept aside with their line number and never reach the figures.${d.load.runId ? ` Load of run #${d.load.runId}.` : ''}</p>
<table><thead><tr><th>file</th><th class="n">rows read</th><th class="n">loaded</th><th class="n">rejected</th></tr></thead><tbody>${files || '<tr><td colspan="4">no load recorded</td></tr>'}</tbody></table>
${rejects ? `<h3 style="margin-top:16px">By file and reason</h3><table><thead><tr><th>file</th><th>column</th><th>reason</th><th class="n">rows</th><th class="n">first lines</th><th>example value</th></tr></thead><tbody>${rejects}</tbody></table>` : '<p>No row was rejected.</p>'}

<h2>All checks</h2>
<p class="legend">Every check, by stage of the pipeline. Each is declared next to what it checks (the source file spec or the SQL model), shown in its details.</p>
${byLayer.map(([l, cs]) => layerSection(l, cs)).join('\n')}

<footer>Generated ${esc(d.generatedAt)} by <code>olist report</code> from audit.quality_results; the same data is in the .json file next to this page.</footer>
</main></body></html>
`;
}

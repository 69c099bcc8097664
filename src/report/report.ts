import fs from 'node:fs/promises';
import path from 'node:path';
import type { Pool } from '../db/connection.ts';
import { loadReportData, type ReportData } from './data.ts';
import { renderHtml } from './html.ts';

export const REPORT_BASENAME = 'quality-report';

export interface WrittenReport {
  html: string;
  json: string;
  data: ReportData;
}

/** Writes `<outDir>/quality-report.html` and `.json` for one gate run (default: the latest). */
export async function writeReport(pool: Pool, opts: { outDir: string; runId?: number }): Promise<WrittenReport> {
  const data = await loadReportData(pool, { runId: opts.runId });
  await fs.mkdir(opts.outDir, { recursive: true });
  const html = path.join(opts.outDir, `${REPORT_BASENAME}.html`);
  const json = path.join(opts.outDir, `${REPORT_BASENAME}.json`);
  // write then rename: a reader never sees half a page
  await fs.writeFile(`${html}.tmp`, renderHtml(data));
  await fs.writeFile(`${json}.tmp`, `${JSON.stringify(data, null, 2)}\n`);
  await fs.rename(`${html}.tmp`, html);
  await fs.rename(`${json}.tmp`, json);
  return { html, json, data };
}

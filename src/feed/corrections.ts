/**
 * Dead-letter replay: the quarantined rows of a run (a feed batch or a full load) go back to the
 * feed as a correction batch. `exportRejected` writes them in the feed's format into a folder of
 * the landing directory without a manifest, so nothing picks them up while a person fixes them;
 * `sealBatch` then writes the manifest, and the correction goes through the same ledger,
 * validation and upserts as any batch, exactly once.
 */
import { createReadStream, existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse';
import type { Pool } from '../db/connection.ts';
import { formatField } from '../generate/csvWriter.ts';
import { sourceByName, sourceHeader, SOURCES, type SourceSpec } from '../sources/index.ts';
import { FEED_FORMAT, MANIFEST_FILE, sha256File, writeManifest, type Manifest, type ManifestFile } from './manifest.ts';

export interface ExportedCorrection {
  dir: string;
  batchId: string;
  files: { file: string; rows: number }[];
}

/** A quarantined record back as fields in spec order: a JSON array in file order, or an object by column (cascaded rows). */
function fieldsOf(spec: SourceSpec, record: unknown): (string | null)[] {
  if (Array.isArray(record)) return spec.columns.map((_, i) => (record[i] === undefined ? null : String(record[i])));
  const row = (record ?? {}) as Record<string, unknown>;
  return spec.columns.map((c) => (row[c.name] === null || row[c.name] === undefined ? null : String(row[c.name])));
}

export async function exportRejected(pool: Pool, runId: number, landingDir: string): Promise<ExportedCorrection> {
  const batchId = `correction-run-${runId}`;
  const dir = path.join(landingDir, batchId);
  if (existsSync(path.join(dir, MANIFEST_FILE))) throw new Error(`${dir} is already sealed; it has been (or will be) applied as batch ${batchId}`);
  const { rows } = await pool.query<{ source: string; record: string | null; line: string }>(
    'select source, record, line from audit.rejected_rows where run_id = $1 order by source, line',
    [runId],
  );
  if (rows.length === 0) throw new Error(`run ${runId} quarantined no row: nothing to export`);
  await fs.mkdir(dir, { recursive: true });
  const files: ExportedCorrection['files'] = [];
  for (const spec of SOURCES) {
    const mine = rows.filter((r) => r.source === spec.name);
    if (mine.length === 0) continue;
    const style = spec.name === 'order_reviews' ? 'reviews' : 'kaggle';
    const lines = [spec.columns.map(sourceHeader).map((h) => `"${h}"`).join(',')];
    for (const r of mine) {
      let record: unknown = null;
      try {
        record = r.record === null ? null : JSON.parse(r.record);
      } catch {
        record = null;
      }
      lines.push(fieldsOf(spec, record).map((v, i) => formatField(spec.columns[i]!.type, v, style)).join(','));
    }
    await fs.writeFile(path.join(dir, spec.fileName), lines.join('\n') + '\n');
    files.push({ file: spec.fileName, rows: mine.length });
  }
  return { dir, batchId, files };
}

async function countRecords(file: string): Promise<number> {
  let n = -1; // the header
  const parser = createReadStream(file).pipe(parse({ bom: true, relax_quotes: true, relax_column_count: true, skip_empty_lines: true }));
  for await (const _record of parser) n++;
  return Math.max(0, n);
}

/** Writes the manifest of a correction folder once it is fixed: from then on it is a batch. */
export async function sealBatch(dir: string): Promise<Manifest> {
  if (existsSync(path.join(dir, MANIFEST_FILE))) throw new Error(`${dir} already has a manifest`);
  const name = path.basename(dir);
  if (!name.startsWith('correction-')) throw new Error(`${dir}: only correction folders (correction-...) are sealed by hand; the simulator seals the daily batches`);
  const files: ManifestFile[] = [];
  for (const f of (await fs.readdir(dir)).sort()) {
    const spec = SOURCES.find((s) => s.fileName === f);
    if (!spec) throw new Error(`${path.join(dir, f)}: not a file of the dataset (expected one of ${SOURCES.map((s) => s.fileName).join(', ')})`);
    const { sha256, bytes } = await sha256File(path.join(dir, f));
    files.push({ name: f, source: sourceByName(spec.name).name, rows: await countRecords(path.join(dir, f)), bytes, sha256 });
  }
  return writeManifest(dir, { format: FEED_FORMAT, batchId: name, seq: null, previous: null, granularity: null, periodStart: null, files });
}

/**
 * `olist simulate`: cuts a dataset directory into the dated batches a shop's source system would
 * have sent (cut.sql.ts says which record goes where), in the Kaggle files' own format. The
 * dataset is loaded into a scratch schema (snapshot.ts), PostgreSQL sorts the emissions, and one
 * cursor streams them into batch folders, so memory stays flat at any scale. Same input and
 * options, same bytes.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import Cursor from 'pg-cursor';
import { ident, type Pool } from '../db/connection.ts';
import { formatField } from '../generate/csvWriter.ts';
import type { Logger } from '../log.ts';
import { sourceByName, type SourceSpec } from '../sources/index.ts';
import { bucketText, correctionStatements, cutStatements, emissionsQuery, FEED_SOURCE_ORDER, type CorrectionRates, type Granularity } from './cut.sql.ts';
import { corruptOrderId, FAULT_COPY_MARK, injectDeliveryFaults, injectRowFaults, type Fault } from './faults.ts';
import { FEED_FORMAT, listBatches, MANIFEST_FILE, REFERENCE_BATCH_ID, writeManifest, type ManifestFile } from './manifest.ts';
import { loadSnapshot, type SnapshotFile } from './snapshot.ts';

export interface SimulateOptions {
  dataDir: string;
  landingDir: string;
  granularity: Granularity;
  /** First and last period (YYYY-MM-DD or YYYY-MM-DDTHH); default: the data's first purchase and last event. */
  from?: string;
  to?: string;
  seed: number;
  faults: readonly Fault[];
  /** Emit the seller and product corrections (cut.sql.ts correctionStatements; off by default), at the documented rates or at others (tests). */
  corrections?: boolean | CorrectionRates;
  log: Logger;
}

export interface SimulateResult {
  landingDir: string;
  batches: number;
  from: string;
  to: string;
  rows: number;
  faults: string[];
  /** Correction rows sent (sellers and products re-sent with changed values). */
  corrections: number;
}

const CHUNK_CHARS = 256 * 1024;

/** One batch file being written: header first, then records, hashed as they go. */
class BatchFileWriter {
  private readonly stream: WriteStream;
  private readonly hash = createHash('sha256');
  rows = 0;
  bytes = 0;

  /** With `withOptional`, the header also names the spec's optional columns (empty on the source's own records). */
  constructor(readonly spec: SourceSpec, dir: string, private readonly snapshot: SnapshotFile, private readonly withOptional = false) {
    this.stream = createWriteStream(path.join(dir, spec.fileName));
    const quoted = snapshot.headerRaw.startsWith('"');
    const extra = withOptional ? spec.columns.filter((c) => c.optional).map((c) => (quoted ? `,"${c.name}"` : `,${c.name}`)).join('') : '';
    this.padding = withOptional ? ','.repeat(spec.columns.filter((c) => c.optional).length) : '';
    this.write(snapshot.headerRaw + extra + snapshot.eol);
  }

  private readonly padding: string;

  private pending: string[] = [];
  private pendingLength = 0;

  /** Rows are gathered into ~256 KB chunks: one encode, hash and write per chunk, not per row. */
  private write(text: string): Promise<void> | undefined {
    this.pending.push(text);
    this.pendingLength += text.length;
    return this.pendingLength >= CHUNK_CHARS ? this.flush() : undefined;
  }

  private flush(): Promise<void> | undefined {
    if (this.pending.length === 0) return undefined;
    const buf = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingLength = 0;
    this.hash.update(buf);
    this.bytes += buf.length;
    if (this.stream.write(buf)) return undefined;
    return new Promise((resolve) => this.stream.once('drain', resolve));
  }

  /** The source record, byte for byte, with the file's line ending. */
  raw(raw: string): Promise<void> | undefined {
    this.rows++;
    return this.write(raw + this.padding + this.snapshot.eol);
  }

  /** A version rebuilt from fields (a partial order or review, or a corrupt row). */
  fields(values: Record<string, string | null>): Promise<void> | undefined {
    this.rows++;
    const style = this.spec.name === 'order_reviews' ? 'reviews' : 'kaggle';
    const line = this.spec.columns.map((c) => formatField(c.type, values[c.name] ?? null, style)).join(',');
    return this.write(line + this.snapshot.eol);
  }

  async close(): Promise<ManifestFile> {
    await this.flush();
    await new Promise<void>((resolve, reject) => this.stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
    return { name: this.spec.fileName, source: this.spec.name, rows: this.rows, bytes: this.bytes, sha256: this.hash.digest('hex') };
  }
}

interface EmissionRow {
  bucket: string | null;
  src: number;
  seq: number;
  kind: 'raw' | 'partial' | 'corrupt' | 'correction';
  blank: string[] | null;
  status: string | null;
  raw: string;
  fields: Record<string, string | null> | null;
}

/** A new batch folder: any old manifest goes first, so a reader never pairs it with new files. */
async function openBatchDir(landingDir: string, batchId: string): Promise<string> {
  const dir = path.join(landingDir, batchId);
  await fs.mkdir(dir, { recursive: true });
  await fs.rm(path.join(dir, MANIFEST_FILE), { force: true });
  for (const f of await fs.readdir(dir)) await fs.rm(path.join(dir, f), { recursive: true, force: true });
  return dir;
}

export async function simulateFeed(pool: Pool, opts: SimulateOptions): Promise<SimulateResult> {
  const schema = `feed_sim_${process.pid}`;
  const s = ident(schema);
  const g = opts.granularity;
  const client = await pool.connect();
  try {
    await client.query(`drop schema if exists ${s} cascade; create schema ${s}`);
    const specs = FEED_SOURCE_ORDER.map(sourceByName);
    const t0 = performance.now();
    const snapshots = new Map<string, SnapshotFile>();
    // Two files at a time (two connections, and csv-parse is the bottleneck of a load).
    const queue = [...specs];
    await Promise.all([0, 1].map(async () => {
      for (let spec = queue.shift(); spec; spec = queue.shift()) {
        snapshots.set(spec.name, await loadSnapshot(pool, schema, opts.dataDir, spec));
        opts.log.info({ step: 'simulate', file: spec.fileName, records: snapshots.get(spec.name)!.records }, 'snapshot loaded');
      }
    }));
    opts.log.info({ step: 'simulate', ms: Math.round(performance.now() - t0) }, 'dataset loaded');
    let t = performance.now();
    for (const sql of cutStatements(s, g)) await client.query(sql);
    if (opts.corrections) for (const sql of correctionStatements(s, g, opts.seed, opts.corrections === true ? undefined : opts.corrections)) await client.query(sql);
    // The files of a batch carrying a correction name the optional columns (the effective time).
    const { rows: corrected } = await client.query<{ bucket: string; src: number; n: number }>(
      `select bucket, src, count(*)::int as n from ${s}.emissions where kind = 'correction' group by bucket, src`,
    );
    const extended = new Set(corrected.map((r) => `${r.bucket}|${r.src}`));
    opts.log.info({ step: 'simulate', ms: Math.round(performance.now() - t), corrections: corrected.reduce((a, r) => a + r.n, 0) }, 'emissions computed');
    t = performance.now();

    const { rows: range } = await client.query<{ first: string; last: string }>(
      `select min(bucket) as first, max(bucket) as last from ${s}.emissions where bucket is not null`,
    );
    const from = opts.from ?? range[0]?.first;
    const to = opts.to ?? range[0]?.last;
    if (!from || !to) throw new Error(`${opts.dataDir}: no order has a purchase date; nothing to cut into days`);
    await injectRowFaults(client, s, g, opts.faults.filter((f) => ['late-update', 'early-update', 'corrupt-row'].includes(f)), opts.seed, from, to);

    const step = g === 'day' ? `'1 day'` : `'1 hour'`;
    const start = g === 'day' ? `$1::date` : `to_timestamp($1, 'YYYY-MM-DD"T"HH24')::timestamp`;
    const end = g === 'day' ? `$2::date` : `to_timestamp($2, 'YYYY-MM-DD"T"HH24')::timestamp`;
    const { rows: periodRows } = await client.query<{ id: string }>(
      `select ${bucketText(g, 'p')} as id from generate_series(${start}, ${end}, interval ${step}) p order by 1`,
      [from, to],
    );
    const periods = [REFERENCE_BATCH_ID, ...periodRows.map((r) => r.id)];

    await fs.mkdir(opts.landingDir, { recursive: true });
    // Fault copies left by an earlier simulation are not part of this feed.
    for (const d of await fs.readdir(opts.landingDir)) {
      if (d.includes(FAULT_COPY_MARK)) await fs.rm(path.join(opts.landingDir, d), { recursive: true, force: true });
    }
    const cursor = client.query(new Cursor<EmissionRow>(emissionsQuery(s, specs)));
    const read = (): Promise<EmissionRow[]> => cursor.read(2000);
    let buffer = await read();
    let at = 0;
    const next = async (): Promise<EmissionRow | undefined> => {
      if (at >= buffer.length) {
        buffer = await read();
        at = 0;
      }
      return buffer[at];
    };
    let row: EmissionRow | undefined;
    let total = 0;
    let corrections = 0;
    for (const [seq, batchId] of periods.entries()) {
      const dir = await openBatchDir(opts.landingDir, batchId);
      const writers = new Map<number, BatchFileWriter>();
      const inBatch = (r: EmissionRow) => (seq === 0 ? r.bucket === null : r.bucket === batchId);
      // Emissions before `from` are not sent (nor after `to`: the loop ends first).
      for (row = await next(); seq > 0 && row && row.bucket !== null && row.bucket < batchId; at++, row = await next());
      for (row = await next(); row && inBatch(row); at++, row = await next()) {
        let w = writers.get(row.src);
        if (!w) {
          const spec = specs[row.src]!;
          w = new BatchFileWriter(spec, dir, snapshots.get(spec.name)!, extended.has(`${row.bucket}|${row.src}`));
          writers.set(row.src, w);
        }
        const pending =
          row.kind === 'raw'
            ? w.raw(row.raw)
            : w.fields(versionFields(row, opts.seed));
        if (pending) await pending;
        total++;
        if (row.kind === 'correction') corrections++;
      }
      const files: ManifestFile[] = [];
      for (const w of [...writers.entries()].sort((a, b) => a[0] - b[0]).map(([, w]) => w)) files.push(await w.close());
      await writeManifest(dir, {
        format: FEED_FORMAT, batchId, seq, previous: seq === 0 ? null : periods[seq - 1]!,
        granularity: seq === 0 ? null : g, periodStart: seq === 0 ? null : batchId.replace('T', ' ') + (g === 'day' ? ' 00:00:00' : ':00:00'),
        files,
      });
      if (seq > 0 && seq % 100 === 0) opts.log.info({ step: 'simulate', batch: batchId, rows: total }, 'batches written');
    }
    await cursor.close();
    opts.log.info({ step: 'simulate', ms: Math.round(performance.now() - t), rows: total }, 'batches written');
    const notes = await injectDeliveryFaults(await listBatches(opts.landingDir), opts.faults);
    return { landingDir: opts.landingDir, batches: periods.length, from, to, rows: total, faults: notes, corrections };
  } finally {
    await client.query(`drop schema if exists ${s} cascade`).catch(() => undefined);
    client.release();
  }
}

/** The fields of a rebuilt version: the record with later facts emptied and its stage's status, or a corrupt copy. */
function versionFields(row: EmissionRow, seed: number): Record<string, string | null> {
  const fields = { ...row.fields! };
  if (row.kind === 'corrupt') {
    return { ...fields, order_id: corruptOrderId(seed), order_purchase_timestamp: 'not a timestamp' };
  }
  for (const c of row.blank ?? []) fields[c] = null;
  if (row.status) fields.order_status = row.status;
  return fields;
}


/**
 * Fault injection for tests and demos (`olist simulate --fault <kind>`): the feed's known ways of
 * going wrong, placed deterministically from the seed. Row-level faults are extra emissions
 * (written with the batch, so its manifest is right); delivery faults rework folders after the
 * clean feed is written, as a broken transfer or a careless operator would.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '../db/connection.ts';
import { bucketText, sourceRank, type Granularity } from './cut.sql.ts';
import { MANIFEST_FILE, readManifest, sha256File, writeManifest, type LandedBatch } from './manifest.ts';

/** Fault copies of a batch are named `<id>~dup` and `<id>~changed`; the simulator removes them before writing a feed. */
export const FAULT_COPY_MARK = '~';

export const FAULTS = ['duplicate-batch', 'changed-batch', 'corrupt-row', 'truncated-file', 'late-update', 'early-update'] as const;
export type Fault = (typeof FAULTS)[number];

/** The fake order id of the corrupt row: derived from the seed, never a real id. */
export const corruptOrderId = (seed: number): string => createHash('md5').update(`olist-corrupt-${seed}`).digest('hex');

const shift = (g: Granularity, bucket: string, n: number): string =>
  bucketText(g, `(${g === 'day' ? `${bucket}::date` : `to_timestamp(${bucket}, 'YYYY-MM-DD"T"HH24')::timestamp`} + interval '${n} ${g}')`);

/**
 * Adds the row-level faults to the emissions: a late update (an order's first version sent again
 * after its last), an early update (an order's last version sent one period before its first
 * appearance) and a corrupt row (an order that fails validation). Victims are orders with at least
 * three versions inside [from, to], ranked by md5(seed, order id).
 */
export async function injectRowFaults(client: Client, s: string, g: Granularity, faults: readonly Fault[], seed: number, from: string, to: string): Promise<void> {
  if (faults.length === 0) return;
  const src = sourceRank('orders');
  const victims = `
    with versions as (
      select seq, min(bucket) as first, max(bucket) as last, count(*) as n
        from ${s}.emissions where src = ${src} and bucket is not null group by seq
    )
    select v.seq, v.first, v.last from versions v join ${s}.order_times o using (seq)
     where v.n >= 3 and v.first > $1 and v.last < $2
     order by md5($3 || o.order_id) limit 3`;
  const { rows } = await client.query<{ seq: number; first: string; last: string }>(victims, [from, to, String(seed)]);
  if (rows.length < 3) throw new Error(`fault injection needs three orders with three versions between ${from} and ${to}; widen the range`);
  const [late, early, corrupt] = rows as [(typeof rows)[0], (typeof rows)[0], (typeof rows)[0]];
  if (faults.includes('late-update')) {
    await client.query(
      `insert into ${s}.emissions select ${shift(g, '$2', 1)}, src, seq, kind, blank, status from ${s}.emissions where src = ${src} and seq = $1 and bucket = $3`,
      [late.seq, late.last, late.first],
    );
  }
  if (faults.includes('early-update')) {
    await client.query(
      `insert into ${s}.emissions select ${shift(g, '$2', -1)}, src, seq, kind, blank, status from ${s}.emissions where src = ${src} and seq = $1 and bucket = $3`,
      [early.seq, early.first, early.last],
    );
  }
  if (faults.includes('corrupt-row')) {
    await client.query(`insert into ${s}.emissions values ($1, ${src}, $2, 'corrupt', null, null)`, [corrupt.first, corrupt.seq]);
  }
}

/** The batch in the middle of the feed, where delivery faults are placed. */
function middle(batches: LandedBatch[], offset: number): LandedBatch {
  const days = batches.filter((b) => b.manifest.seq !== null && b.manifest.seq > 0 && !path.basename(b.dir).includes(FAULT_COPY_MARK));
  const withFiles = days.filter((b) => b.manifest.files.length > 0);
  const pick = withFiles[Math.min(withFiles.length - 1, Math.floor(withFiles.length / 2) + offset)];
  if (!pick) throw new Error('fault injection needs batches with files');
  return pick;
}

async function copyBatch(from: LandedBatch, dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
  await fs.cp(from.dir, dir, { recursive: true });
}

/**
 * Delivery faults on the written feed: the same batch delivered twice (`<id>~dup`), a changed batch
 * under a used id (`<id>~changed`: one row fewer, a new checksum) and a file cut in half in transit
 * (its manifest still describes the whole file).
 */
export async function injectDeliveryFaults(batches: LandedBatch[], faults: readonly Fault[]): Promise<string[]> {
  const notes: string[] = [];
  if (faults.includes('duplicate-batch')) {
    const b = middle(batches, 0);
    await copyBatch(b, `${b.dir}~dup`);
    notes.push(`duplicate-batch: ${b.manifest.batchId} delivered again as ${path.basename(b.dir)}~dup`);
  }
  if (faults.includes('changed-batch')) {
    const b = middle(batches, 0);
    const dir = `${b.dir}~changed`;
    await copyBatch(b, dir);
    const f = b.manifest.files[0]!;
    const file = path.join(dir, f.name);
    const text = await fs.readFile(file, 'utf8');
    await fs.writeFile(file, text.replace(/\n[^\n]*\n$/, '\n'));
    await fs.rm(path.join(dir, MANIFEST_FILE));
    const { sha256, bytes } = await sha256File(file);
    const { checksum: _old, ...rest } = await readManifest(b.dir);
    await writeManifest(dir, { ...rest, files: rest.files.map((x) => (x.name === f.name ? { ...x, sha256, bytes, rows: x.rows - 1 } : x)) });
    notes.push(`changed-batch: ${b.manifest.batchId} sent again with ${f.name} one row shorter, as ${path.basename(dir)}`);
  }
  if (faults.includes('truncated-file')) {
    const b = middle(batches, 1);
    const f = [...b.manifest.files].sort((x, y) => y.bytes - x.bytes)[0]!;
    const file = path.join(b.dir, f.name);
    await fs.truncate(file, Math.floor(f.bytes / 2));
    notes.push(`truncated-file: ${b.manifest.batchId}/${f.name} cut to ${Math.floor(f.bytes / 2)} of ${f.bytes} bytes`);
  }
  return notes;
}

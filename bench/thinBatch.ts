/**
 * A batch of the feed thinned to a share of its orders, for the benchmark's question "does the cost
 * of a day grow with the warehouse?": a scale-10 day carries about ten times the orders of a
 * scale-1 day, so the natural scale-10 week measures a bigger day on a bigger warehouse. The same
 * week thinned to the scale-1 week's number of order rows measures a day of the same size on the
 * bigger warehouse.
 *
 * An order is kept or dropped on every day alike (by a hash of its id), so an order that is kept
 * arrives with its items, payments, reviews and customer and then gets all its updates; an order
 * that is dropped never changes during the week (it is in the warehouse already, or never
 * arrives). Sellers and products are kept whole: they are few, and a dimension row nobody bought
 * from changes nothing a kept order needs. Kept records pass on byte for byte (csv-parse's `raw`).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { parse } from 'csv-parse';
import { sha256File, writeManifest, type LandedBatch, type ManifestFile } from '../src/feed/manifest.ts';

/** The files whose records follow their order, and the column that names it. */
const BY_ORDER: Readonly<Record<string, string>> = { orders: 'order_id', order_items: 'order_id', order_payments: 'order_id', order_reviews: 'order_id' };

/** True for the orders kept at `share` (0 < share <= 1): the first 32 bits of the id's md5 against the share. */
export function keepsOrder(orderId: string, share: number): boolean {
  return createHash('md5').update(orderId).digest().readUInt32BE(0) < share * 2 ** 32;
}

async function* records(file: string): AsyncGenerator<{ fields: string[]; raw: string }> {
  const parser = createReadStream(file).pipe(parse({ raw: true, relax_column_count: true, bom: true }));
  for await (const r of parser as AsyncIterable<{ record: string[]; raw: string }>) yield { fields: r.record, raw: r.raw };
}

async function thinFile(from: string, to: string, keep: (fields: string[], column: (name: string) => number) => boolean): Promise<number> {
  const out = createWriteStream(to);
  let header: string[] | undefined;
  let rows = 0;
  for await (const r of records(from)) {
    const raw = r.raw.endsWith('\n') ? r.raw : `${r.raw}\n`;
    if (!header) {
      header = r.fields;
      out.write(raw);
      continue;
    }
    const h = header;
    if (!keep(r.fields, (name) => h.indexOf(name))) continue;
    rows += 1;
    if (!out.write(raw)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return rows;
}

/**
 * Writes `batch` thinned to `share` of its orders into `dir` (same id, a manifest of its own), and
 * returns the number of order rows it kept.
 */
export async function thinBatch(batch: LandedBatch, dir: string, share: number): Promise<{ orderRows: number }> {
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  const customers = new Set<string>();
  // Orders first: the customers kept are those of the kept orders.
  const files = [...batch.manifest.files].sort((a, b) => Number(b.source === 'orders') - Number(a.source === 'orders'));
  const written: ManifestFile[] = [];
  let orderRows = 0;
  for (const f of files) {
    const from = path.join(batch.dir, f.name);
    const to = path.join(dir, f.name);
    const byOrder = BY_ORDER[f.source];
    let rows: number;
    if (byOrder) {
      rows = await thinFile(from, to, (fields, column) => {
        const kept = keepsOrder(fields[column(byOrder)] ?? '', share);
        if (kept && f.source === 'orders') customers.add(fields[column('customer_id')] ?? '');
        return kept;
      });
      if (f.source === 'orders') orderRows = rows;
    } else if (f.source === 'customers') {
      rows = await thinFile(from, to, (fields, column) => customers.has(fields[column('customer_id')] ?? ''));
    } else {
      await fs.copyFile(from, to);
      rows = f.rows;
    }
    written.push({ name: f.name, source: f.source, rows, ...(await sha256File(to)) });
  }
  const order = new Map(batch.manifest.files.map((f, i) => [f.name, i]));
  written.sort((a, b) => order.get(a.name)! - order.get(b.name)!);
  const { checksum: _old, ...manifest } = batch.manifest;
  await writeManifest(dir, { ...manifest, files: written });
  return { orderRows };
}

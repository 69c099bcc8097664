import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { keepsOrder, thinBatch } from '../../bench/thinBatch.ts';
import { readManifest, sha256File, verifyBatchFiles, writeManifest, type ManifestFile } from '../../src/feed/manifest.ts';

const orderIds = Array.from({ length: 40 }, (_, i) => `${i.toString(16).padStart(2, '0')}${'a'.repeat(30)}`);

async function batchWith(dir: string): Promise<void> {
  const files: Record<string, { source: string; lines: string[] }> = {
    'olist_orders_dataset.csv': { source: 'orders', lines: ['"order_id","customer_id","order_status"', ...orderIds.map((o, i) => `"${o}",c${i},delivered`)] },
    'olist_customers_dataset.csv': { source: 'customers', lines: ['"customer_id","customer_city"', ...orderIds.map((_, i) => `c${i},"sao paulo, sp"`)] },
    // two items for each order, one with a quoted line break: kept records pass on byte for byte
    'olist_order_items_dataset.csv': { source: 'order_items', lines: ['"order_id","order_item_id","note"', ...orderIds.flatMap((o) => [`${o},1,plain`, `${o},2,"two\nlines"`])] },
    'olist_sellers_dataset.csv': { source: 'sellers', lines: ['"seller_id"', 's1', 's2'] },
  };
  await fs.mkdir(dir, { recursive: true });
  const written: ManifestFile[] = [];
  for (const [name, f] of Object.entries(files)) {
    await fs.writeFile(path.join(dir, name), `${f.lines.join('\n')}\n`);
    written.push({ name, source: f.source, rows: f.lines.length - 1, ...(await sha256File(path.join(dir, name))) });
  }
  await writeManifest(dir, { format: 'olist-feed/1', batchId: '2018-03-05', seq: 9, previous: '2018-03-04', granularity: 'day', periodStart: '2018-03-05 00:00:00', files: written });
}

test('a thinned batch keeps whole orders (items, customer) by a stable hash, and a valid manifest of the same id', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'thin-'));
  try {
    const from = path.join(root, 'from');
    await batchWith(from);
    const batch = { dir: from, manifest: await readManifest(from) };
    const to = path.join(root, 'to', '2018-03-05');
    const { orderRows } = await thinBatch(batch, to, 0.25);

    const kept = orderIds.filter((o) => keepsOrder(o, 0.25));
    assert.ok(kept.length > 0 && kept.length < orderIds.length, `a share of the orders is kept (${kept.length} of ${orderIds.length})`);
    assert.equal(orderRows, kept.length);
    const manifest = await readManifest(to);
    assert.equal(manifest.batchId, '2018-03-05');
    assert.equal(manifest.seq, 9);
    await verifyBatchFiles({ dir: to, manifest }); // sizes and sha256 of the files as written
    const rows = Object.fromEntries(manifest.files.map((f) => [f.source, f.rows]));
    assert.deepEqual(rows, { orders: kept.length, customers: kept.length, order_items: 2 * kept.length, sellers: 2 });

    const items = await fs.readFile(path.join(to, 'olist_order_items_dataset.csv'), 'utf8');
    assert.equal(items, `"order_id","order_item_id","note"\n${kept.map((o) => `${o},1,plain\n${o},2,"two\nlines"\n`).join('')}`);
    const customers = await fs.readFile(path.join(to, 'olist_customers_dataset.csv'), 'utf8');
    const keptCustomers = orderIds.map((o, i) => (kept.includes(o) ? `c${i},"sao paulo, sp"\n` : '')).join('');
    assert.equal(customers, `"customer_id","customer_city"\n${keptCustomers}`);
    assert.equal(keepsOrder(orderIds[0]!, 1), true, 'a share of 1 keeps every order');
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
});

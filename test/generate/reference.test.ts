import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { generateDataset } from '../../src/generate/generate.ts';
import { readRows } from '../../src/generate/reader.ts';
import { realDataDir, removeDir, SKIP_NO_REAL, tempDir } from './helpers.ts';

test('with a reference directory, items sell real products from real sellers', async (t) => {
  const real = realDataDir();
  if (!real) return t.skip(SKIP_NO_REAL);
  const dir = tempDir('reference');
  try {
    const summary = await generateDataset({ scale: 0.05, seed: 9, outDir: dir, referenceDir: real });
    assert.equal(summary.catalog, 'reference');
    const realProducts = new Set<string>();
    const realSellers = new Map<string, string>();
    await readRows(real, 'products', (r) => realProducts.add(r[0]!));
    await readRows(real, 'sellers', (r) => realSellers.set(r[0]!, r.join(',')));
    const products = new Set<string>();
    const sellers = new Set<string>();
    await readRows(dir, 'products', (r) => products.add(r[0]!));
    await readRows(dir, 'sellers', (r) => {
      sellers.add(r[0]!);
      assert.equal(r.join(','), realSellers.get(r[0]!), 'real seller rows kept as they are');
    });
    // Sub-linear catalogs: sqrt(0.05) of the real sizes, all of them real rows.
    assert.equal(products.size, Math.round(32_951 * Math.sqrt(0.05)));
    assert.equal(sellers.size, Math.round(3_095 * Math.sqrt(0.05)));
    for (const p of products) assert.ok(realProducts.has(p), `product ${p} is real`);
    let items = 0;
    await readRows(dir, 'order_items', (r) => {
      items++;
      assert.ok(products.has(r[2]!) && sellers.has(r[3]!), 'items reference the written catalog');
    });
    assert.ok(items > 5_000);
    let translations = 0;
    await readRows(dir, 'category_translation', () => translations++);
    assert.equal(translations, 71);
  } finally {
    removeDir(dir);
  }
});

test('memory stays flat: a scale-3 run peaks well under 512 MB', () => {
  const dir = tempDir('memory');
  try {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'src/generate/main.ts', '--scale', '3', '--seed', '1', '--out', dir, '--synthetic'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const summary = JSON.parse(out) as { maxRssMB: number; totalRows: number; files: { source: string; rows: number }[] };
    assert.equal(summary.files.find((f) => f.source === 'orders')!.rows, Math.round(99_441 * 3));
    assert.ok(summary.maxRssMB > 0 && summary.maxRssMB < 400, `peak RSS ${summary.maxRssMB} MB`);
  } finally {
    removeDir(dir);
  }
});

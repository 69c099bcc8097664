import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { generateDataset } from '../../src/generate/generate.ts';
import { checksums, removeDir, tempDir } from './helpers.ts';

test('same seed and scale give the same bytes; another seed gives other bytes', async () => {
  const a = tempDir('det-a');
  const b = tempDir('det-b');
  const c = tempDir('det-c');
  try {
    const sa = await generateDataset({ scale: 0.02, seed: 123, outDir: a, referenceDir: '' });
    await generateDataset({ scale: 0.02, seed: 123, outDir: b, referenceDir: '' });
    await generateDataset({ scale: 0.02, seed: 124, outDir: c, referenceDir: '' });
    const ha = checksums(a);
    assert.equal(Object.keys(ha).length, 9, 'nine files');
    assert.deepEqual(checksums(b), ha);
    const hc = checksums(c);
    for (const f of Object.keys(ha)) {
      if (f === 'product_category_name_translation.csv') continue; // the synthetic translation is fixed
      assert.notEqual(hc[f], ha[f], `${f} should depend on the seed`);
    }
    // Summary agrees with the files.
    assert.equal(sa.files.find((f) => f.source === 'orders')!.rows, Math.round(99_441 * 0.02));
    assert.equal(sa.synthetic, true);
    assert.equal(sa.catalog, 'synthetic');
  } finally {
    for (const d of [a, b, c]) removeDir(d);
  }
});

test('invalid options are refused', async () => {
  await assert.rejects(generateDataset({ scale: 0, seed: 1, outDir: '/tmp/olist-gen-never' }), /scale/);
  await assert.rejects(generateDataset({ scale: 1, seed: 1.5, outDir: '/tmp/olist-gen-never' }), /seed/);
  await assert.rejects(generateDataset({ scale: 1, seed: 1, outDir: '/tmp/olist-gen-never', referenceDir: '/nonexistent' }), /reference/);
  assert.equal(existsSync('/tmp/olist-gen-never'), false, 'nothing written for refused options');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { manifestChecksum, type Manifest } from '../../src/feed/manifest.ts';

const file = { name: 'olist_orders_dataset.csv', source: 'orders', rows: 3, bytes: 120, sha256: 'a'.repeat(64) };
const manifest: Omit<Manifest, 'checksum'> = {
  format: 'olist-feed/1', batchId: '2017-01-05', seq: 3, previous: '2017-01-04', granularity: 'day', periodStart: '2017-01-05 00:00:00', files: [file],
};

test('a manifest checksum does not depend on the order of keys, and changes with any value', () => {
  const reordered: Omit<Manifest, 'checksum'> = {
    files: [{ sha256: file.sha256, bytes: 120, rows: 3, source: 'orders', name: file.name }],
    periodStart: manifest.periodStart, granularity: 'day', previous: '2017-01-04', seq: 3, batchId: '2017-01-05', format: 'olist-feed/1',
  };
  assert.equal(manifestChecksum(reordered), manifestChecksum(manifest));
  assert.equal(manifestChecksum({ ...manifest, checksum: 'f'.repeat(64) } as Manifest), manifestChecksum(manifest), 'the checksum field itself is left out');
  assert.notEqual(manifestChecksum({ ...manifest, files: [{ ...file, rows: 4 }] }), manifestChecksum(manifest));
  assert.notEqual(manifestChecksum({ ...manifest, previous: null }), manifestChecksum(manifest));
});

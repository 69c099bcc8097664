import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { CsvFileWriter, formatField, formatTimestamp } from '../../src/generate/csvWriter.ts';
import { READER_OPTIONS } from '../../src/generate/reader.ts';
import { sourceByName, sourceHeader } from '../../src/sources/index.ts';
import { removeDir, tempDir } from './helpers.ts';

test('fields follow the Kaggle quoting rules by column type', () => {
  assert.equal(formatField('id', '06b8999e2fba1a1fbc88172c00ba8bc7', 'kaggle'), '"06b8999e2fba1a1fbc88172c00ba8bc7"');
  assert.equal(formatField('id', 'e481f51cbdc54678b7cc49136f2d6af7', 'kaggle'), 'e481f51cbdc54678b7cc49136f2d6af7');
  assert.equal(formatField('id', 'e481f51cbdc54678b7cc49136f2d6af7', 'reviews'), '"e481f51cbdc54678b7cc49136f2d6af7"');
  assert.equal(formatField('zip_prefix', '01037', 'kaggle'), '"01037"');
  assert.equal(formatField('money', 58.9, 'kaggle'), '58.90');
  assert.equal(formatField('money', 0, 'kaggle'), '0.00');
  assert.equal(formatField('integer', 3, 'kaggle'), '3');
  assert.equal(formatField('double', -23.54562128115268, 'kaggle'), '-23.54562128115268');
  assert.equal(formatField('timestamp', Date.UTC(2017, 9, 2, 10, 56, 33), 'kaggle'), '2017-10-02 10:56:33');
  assert.equal(formatField('timestamp', null, 'kaggle'), '');
  assert.equal(formatField('text', null, 'reviews'), '');
  assert.equal(formatField('text', 'sao paulo', 'kaggle'), 'sao paulo');
  assert.equal(formatField('text', '10', 'reviews'), '"10"');
  assert.equal(formatField('text', 'bom, barato', 'reviews'), '"bom, barato"');
  assert.equal(formatField('text', 'veio "novo"', 'reviews'), '"veio ""novo"""');
  assert.equal(formatField('text', 'linha 1\r\nlinha 2', 'reviews'), '"linha 1\r\nlinha 2"');
  assert.equal(formatField('state', 'SP', 'kaggle'), 'SP');
  assert.equal(formatField('text', 'beleza_saude', 'translation'), 'beleza_saude');
  assert.equal(formatTimestamp(Date.UTC(2016, 8, 4, 21, 15, 19)), '2016-09-04 21:15:19');
});

test('writers take names and headers from the specs and round-trip through the ingest reader', async () => {
  const dir = tempDir('format');
  try {
    const reviews = new CsvFileWriter(sourceByName('order_reviews'), dir, 'reviews');
    const products = new CsvFileWriter(sourceByName('products'), dir, 'kaggle');
    const translation = new CsvFileWriter(sourceByName('category_translation'), dir, 'translation');
    const tricky = ['Ótimo, "recomendo"\r\nchegou antes', 'Não recebi', null] as const;
    for (const [i, msg] of tricky.entries()) {
      reviews.row(['0' + 'a'.repeat(31), 'b'.repeat(32), i + 1, i === 0 ? '10' : null, msg, Date.UTC(2018, 0, 18), Date.UTC(2018, 0, 18, 21, 46, 59)]);
    }
    products.row(['1e9e8ef04dbcff4541ed26657ea517e5', null, null, null, null, 225, 16, 10, 14]);
    translation.row(['beleza_saude', 'health_beauty']);
    await Promise.all([reviews.close(), products.close(), translation.close()]);

    const rbytes = readFileSync(reviews.path, 'utf8');
    assert.ok(rbytes.startsWith('"review_id","order_id","review_score"'));
    assert.equal(rbytes.split('\r\n').length - 1, 1 + 3 + 1, 'CRLF after each record and inside the comment');
    const rows = parse(rbytes, READER_OPTIONS) as string[][];
    assert.deepEqual(rows[0], sourceByName('order_reviews').columns.map(sourceHeader));
    assert.equal(rows[1]![4], tricky[0]);
    assert.equal(rows[1]![3], '10');
    assert.equal(rows[3]![4], '');
    assert.equal(rows[1]![5], '2018-01-18 00:00:00');
    assert.equal(reviews.rows, 3);

    const pbytes = readFileSync(products.path, 'utf8');
    assert.ok(pbytes.includes('"product_name_lenght","product_description_lenght"'), 'source misspellings kept');
    assert.ok(pbytes.endsWith('"1e9e8ef04dbcff4541ed26657ea517e5",,,,,225,16,10,14\n'));

    const tbytes = readFileSync(join(dir, 'product_category_name_translation.csv'));
    assert.deepEqual([...tbytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM');
    assert.equal(tbytes.toString('utf8'), '\uFEFFproduct_category_name,product_category_name_english\r\nbeleza_saude,health_beauty\r\n');
    assert.equal(translation.bytes, tbytes.length);
  } finally {
    removeDir(dir);
  }
});

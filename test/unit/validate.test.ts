import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileColumn, compileRowValidator, copyEscape, COPY_NULL } from '../../src/ingest/validate.ts';
import { mapHeader } from '../../src/ingest/header.ts';
import { SourceFileError } from '../../src/ingest/errors.ts';
import { rawTableDdl } from '../../src/ingest/rawTable.ts';
import { SOURCES, sourceByName, sourceHeader } from '../../src/sources/index.ts';

describe('column checks compiled from the spec', () => {
  test('ids are 32 lowercase hex characters', () => {
    const check = compileColumn({ name: 'order_id', type: 'id', description: '' });
    assert.equal(check('e481f51cbdc54678b7cc49136f2d6af7'), 'e481f51cbdc54678b7cc49136f2d6af7');
    assert.deepEqual(check('E481F51CBDC54678B7CC49136F2D6AF7'), { column: 'order_id', value: 'E481F51CBDC54678B7CC49136F2D6AF7', reason: 'not a 32-character lowercase hex id' });
    assert.equal(typeof check('e481f51c'), 'object');
  });

  test('money keeps its exact text and enforces the range', () => {
    const check = compileColumn({ name: 'price', type: 'money', range: { min: 0 }, description: '' });
    assert.equal(check('58.90'), '58.90');
    assert.equal(check('6735'), '6735');
    assert.deepEqual(check('-1.00'), { column: 'price', value: '-1.00', reason: 'out of range 0..+inf' });
    assert.deepEqual(check('1.999'), { column: 'price', value: '1.999', reason: 'not an amount with at most 2 decimals' });
  });

  test('timestamps must exist on the calendar', () => {
    const check = compileColumn({ name: 'ts', type: 'timestamp', description: '' });
    assert.equal(check('2016-02-29 23:59:59'), '2016-02-29 23:59:59');
    assert.equal(typeof check('2017-02-29 10:00:00'), 'object');
    assert.equal(typeof check('2017-04-31 10:00:00'), 'object');
    assert.equal(typeof check('2017-01-01 24:00:00'), 'object');
    assert.equal(typeof check('2017-01-01T10:00:00'), 'object');
  });

  test('nullable columns map empty to NULL; required ones reject it', () => {
    const optional = compileColumn({ name: 'a', type: 'timestamp', nullable: true, description: '' });
    const required = compileColumn({ name: 'b', type: 'text', description: '' });
    assert.equal(optional(''), COPY_NULL);
    assert.deepEqual(required(''), { column: 'b', value: '', reason: 'required value is missing' });
  });

  test('enumerations, states, zip prefixes, doubles', () => {
    assert.equal(typeof compileColumn({ name: 's', type: 'text', values: ['a', 'b'], description: '' })('c'), 'object');
    assert.equal(compileColumn({ name: 's', type: 'state', description: '' })('SP'), 'SP');
    assert.equal(typeof compileColumn({ name: 's', type: 'state', description: '' })('sp'), 'object');
    assert.equal(compileColumn({ name: 'z', type: 'zip_prefix', description: '' })('01037'), '01037');
    assert.equal(typeof compileColumn({ name: 'z', type: 'zip_prefix', description: '' })('1037'), 'object');
    const lat = compileColumn({ name: 'lat', type: 'double', range: { min: -90, max: 90 }, description: '' });
    assert.equal(lat('-23.54562128115268'), '-23.54562128115268');
    assert.equal(typeof lat('123.5'), 'object');
    assert.equal(typeof lat('abc'), 'object');
  });

  test('a NUL character in text quarantines the row instead of failing the COPY', () => {
    const check = compileColumn({ name: 'city', type: 'text', description: '' });
    assert.deepEqual(check('sao\0paulo'), { column: 'city', value: 'sao\0paulo', reason: 'contains a NUL character' });
  });

  test('text is escaped for COPY text format', () => {
    assert.equal(copyEscape('a\tb\\c\r\nd'), 'a\\tb\\\\c\\r\\nd');
    assert.equal(copyEscape('plain, "quoted"'), 'plain, "quoted"');
  });

  test('a row validator reports the first failing column and reorders by header', () => {
    const spec = sourceByName('sellers');
    const header = ['seller_state', 'seller_id', 'seller_city', 'seller_zip_code_prefix'];
    const validate = compileRowValidator(spec, mapHeader(spec, header, spec.fileName));
    // the Kaggle header lacks the optional seller_effective_from: it loads as null (\N)
    assert.equal(validate(['SP', '3442f8959a84dea7ee197c632cb2df15', 'campinas', '13023']), '3442f8959a84dea7ee197c632cb2df15\t13023\tcampinas\tSP\t\\N');
    const withEffective = compileRowValidator(spec, mapHeader(spec, [...header, 'seller_effective_from'], spec.fileName));
    assert.equal(withEffective(['SP', '3442f8959a84dea7ee197c632cb2df15', 'campinas', '13023', '2017-06-01 00:00:00']), '3442f8959a84dea7ee197c632cb2df15\t13023\tcampinas\tSP\t2017-06-01 00:00:00');
    assert.deepEqual(
      (({ column, value }) => ({ column, value }))(withEffective(['SP', '3442f8959a84dea7ee197c632cb2df15', 'campinas', '13023', 'soon']) as { column: string; value: string }),
      { column: 'seller_effective_from', value: 'soon' },
    );
    assert.deepEqual(validate(['ZZ', '3442f8959a84dea7ee197c632cb2df15', 'campinas', '1302']), { column: 'seller_zip_code_prefix', value: '1302', reason: 'not a 5-digit zip code prefix' });
  });
});

describe('headers', () => {
  const products = sourceByName('products');
  const header = products.columns.map(sourceHeader);

  test('the misspelled source headers map to our spelling', () => {
    assert.ok(header.includes('product_name_lenght'));
    assert.deepEqual(mapHeader(products, header, products.fileName), products.columns.map((_, i) => i));
  });

  test('a missing, unknown or repeated column fails the file', () => {
    assert.throws(() => mapHeader(products, header.slice(1), 'p.csv'), (e: Error) => e instanceof SourceFileError && /missing required column\(s\) 'product_id'/.test(e.message));
    assert.throws(() => mapHeader(products, [...header, 'extra'], 'p.csv'), /unexpected column\(s\) 'extra'/);
    assert.throws(() => mapHeader(products, [...header, 'product_id'], 'p.csv'), /repeats column 'product_id'/);
  });

  test('an optional column may be absent (-1: read as empty), but not misspelled', () => {
    const kaggle = header.filter((h) => h !== 'product_effective_from');
    assert.equal(mapHeader(products, kaggle, 'p.csv').at(-1), -1);
    assert.equal(mapHeader(products, header, 'p.csv').at(-1), header.length - 1);
    assert.throws(() => mapHeader(products, [...kaggle, 'product_effective_form'], 'p.csv'), /unexpected column\(s\) 'product_effective_form'/);
  });
});

describe('specs', () => {
  test('nine files, unique names, keys and foreign keys name real columns', () => {
    assert.equal(SOURCES.length, 9);
    assert.equal(new Set(SOURCES.map((s) => s.fileName)).size, 9);
    for (const s of SOURCES) {
      const cols = new Set(s.columns.map((c) => c.name));
      for (const k of s.primaryKey) assert.ok(cols.has(k), `${s.name}.${k}`);
      for (const fk of s.foreignKeys ?? []) {
        const target = sourceByName(fk.references);
        for (const c of fk.columns) assert.ok(cols.has(c), `${s.name}.${c}`);
        for (const c of fk.referencedColumns) assert.ok(target.columns.some((t) => t.name === c), `${target.name}.${c}`);
      }
    }
  });

  test('raw DDL is generated from the spec with types and nullability', () => {
    const ddl = rawTableDdl(sourceByName('order_items'), 'raw');
    assert.match(ddl, /"price" numeric\(12,2\) not null/);
    assert.match(ddl, /"shipping_limit_date" timestamp not null/);
    assert.match(ddl, /_line bigint not null/);
    assert.match(rawTableDdl(sourceByName('orders'), 'raw'), /"order_approved_at" timestamp,/);
  });
});

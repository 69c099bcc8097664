import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { wideEncoding } from '../../src/ingest/encoding.ts';
import { auditText, describeError, withStep } from '../../src/db/failure.ts';

describe('failure messages', () => {
  test('one line: the step, the message, and PostgreSQL detail found through wrapping errors', async () => {
    const pgError = Object.assign(new Error('could not create unique index "stg_orders_pkey"'), {
      detail: 'Key (order_id)=(a0000000000000000000000000000001) is duplicated.', schema: 'staging_build', table: 'stg_orders',
    });
    const wrapped = new Error(`model staging/stg_orders (sql/models/staging/stg_orders.sql) failed: ${pgError.message}`, { cause: pgError });
    const err = await withStep('transform', () => Promise.reject(wrapped)).catch((e: unknown) => e);
    assert.equal(
      describeError(err),
      'transform: model staging/stg_orders (sql/models/staging/stg_orders.sql) failed: could not create unique index "stg_orders_pkey" ' +
        '(Key (order_id)=(a0000000000000000000000000000001) is duplicated.; table staging_build.stg_orders)',
    );
  });

  test('the innermost step wins, newlines are folded, NUL is shown as \\0', async () => {
    const err = await withStep('run', () => withStep('ingest', () => Promise.reject(new Error('bad\nheader \0x')))).catch((e: unknown) => e);
    assert.equal(describeError(err), 'ingest: bad header \\0x');
    assert.equal(auditText('a\0b'), 'a\\0b');
  });
});

describe('wide encodings', () => {
  const bytes = (...b: number[]) => Uint8Array.from(b);
  test('UTF-16/32 by BOM or by the NUL bytes of ASCII text; UTF-8 (with or without BOM) is not flagged', () => {
    assert.equal(wideEncoding(bytes(0xff, 0xfe, 0x22, 0x00)), 'UTF-16LE (with a byte order mark)');
    assert.equal(wideEncoding(bytes(0xfe, 0xff, 0x00, 0x22)), 'UTF-16BE (with a byte order mark)');
    assert.equal(wideEncoding(bytes(0xff, 0xfe, 0x00, 0x00)), 'UTF-32LE (with a byte order mark)');
    assert.equal(wideEncoding(bytes(0x00, 0x00, 0xfe, 0xff)), 'UTF-32BE (with a byte order mark)');
    assert.equal(wideEncoding(bytes(0x22, 0x00, 0x73, 0x00)), 'UTF-16LE');
    assert.equal(wideEncoding(bytes(0x00, 0x22, 0x00, 0x73)), 'UTF-16BE');
    assert.equal(wideEncoding(bytes(0x22, 0x00, 0x00, 0x00)), 'UTF-32LE');
    assert.equal(wideEncoding(bytes(0x00, 0x00, 0x00, 0x22)), 'UTF-32BE');
    assert.equal(wideEncoding(bytes(0xef, 0xbb, 0xbf, 0x70)), undefined);
    assert.equal(wideEncoding(Buffer.from('"sel')), undefined);
    assert.equal(wideEncoding(bytes(0x61)), undefined);
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { CsvShape } from '../../src/ingest/csvShape.ts';

/** The bytes CsvShape passes on for `input` fed in chunks of `size` bytes, and what it found. */
function passOn(input: Buffer, size: number): { out: string; shape: CsvShape } {
  const shape = new CsvShape();
  const parts: Buffer[] = [];
  for (let i = 0; i < input.length; i += size) parts.push(...shape.scan(input.subarray(i, i + size)));
  parts.push(...shape.end());
  return { out: Buffer.concat(parts).toString('utf8'), shape };
}

const HEADER = '"id","note","at"\n';

describe('CsvShape: what reaches COPY', () => {
  test('a file PostgreSQL reads as csv-parse does passes byte for byte, whatever the chunks', () => {
    const text = `\uFEFF${HEADER}"a","x, ""quoted""",2017-01-01\n"b","two\nlines",\n"c",,2017-01-02\n"d","",x`;
    const input = Buffer.from(text, 'utf8');
    for (let size = 1; size <= input.length; size++) {
      const { out, shape } = passOn(input, size);
      assert.equal(out, text, `chunks of ${size}`);
      assert.equal(shape.problem, undefined);
      assert.equal(shape.requoted, 0);
      assert.equal(shape.breaksInFields, true);
    }
  });

  test('a record with a quote inside an unquoted field is requoted, the rest untouched, whatever the chunks', () => {
    // As in the Kaggle reviews file: `6"` ends a field, then a field ending in a bare quote.
    const bare = '"r2",A capa de 6", fica menor. ",2017-12-21 00:00:00\n';
    for (const eol of ['\n', '\r\n']) {
      const text = `${HEADER}"r1","a ""b"" c",2017-01-01\n${bare}"r3","x\ny",2017-01-03\nr4,ab"c,\nr5,plain,2017-01-05`.replaceAll('\n', eol);
      const expected = `${HEADER}"r1","a ""b"" c",2017-01-01\n"r2","A capa de 6"""," fica menor. ""","2017-12-21 00:00:00"\n"r3","x\ny",2017-01-03\n"r4","ab""c",\nr5,plain,2017-01-05`.replaceAll('\n', eol);
      const input = Buffer.from(text, 'utf8');
      for (let size = 1; size <= input.length; size++) {
        const { out, shape } = passOn(input, size);
        assert.equal(out, expected, `chunks of ${size}, ${JSON.stringify(eol)}`);
        assert.equal(shape.problem, undefined);
        assert.equal(shape.requoted, 2);
      }
      // The fields csv-parse reads from the file are the ones PostgreSQL reads from what it is sent
      // (csv-parse reading the requoted text stands in for it: standard CSV, every quote paired).
      const opts = { relax_quotes: true, relax_column_count: true } as const;
      assert.deepEqual(parse(expected, opts), parse(text, opts));
    }
  });

  test('a requoted last record without a line break, and one holding a quoted line break', () => {
    const text = `${HEADER}"r1","a\nb",c"d\nr2,x"y,z`;
    for (let size = 1; size <= text.length; size++) {
      const { out, shape } = passOn(Buffer.from(text), size);
      assert.equal(out, `${HEADER}"r1","a\nb","c""d"\n"r2","x""y","z"`, `chunks of ${size}`);
      assert.equal(shape.requoted, 2);
      assert.equal(shape.breaksInFields, true);
    }
  });

  test('what it cannot pass on as csv-parse reads it sends the file the streaming way', () => {
    const cases: Record<string, Buffer> = {
      'text after a closing quote': Buffer.from(`${HEADER}"r1","ab"cd,x\n`),
      'an unterminated quote at the end': Buffer.from(`${HEADER}"r1","ab,x\n`),
      'bytes that are not UTF-8 in a requoted record': Buffer.concat([Buffer.from(`${HEADER}r1,a"b`), Buffer.from([0xff]), Buffer.from(',x\n')]),
      'a carriage return inside a requoted record': Buffer.from(`${HEADER}r1,a"b\rc,x\n`),
      'an end-of-data marker': Buffer.from(`${HEADER}r1,a,x\n\\.\n`),
    };
    for (const [what, input] of Object.entries(cases)) {
      for (let size = 1; size <= input.length; size++) {
        const { out, shape } = passOn(input, size);
        assert.ok(shape.problem, `${what}, chunks of ${size}`);
        assert.ok(out.length < input.length, `${what}: not passed on whole`);
      }
    }
  });
});

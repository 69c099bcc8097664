/**
 * The two ways a file goes in (src/ingest/loadFile.ts) give the same result: PostgreSQL's CSV parser
 * with the validation in SQL (serverCsv.ts), and the streaming validator (parseWorker.ts). Both
 * are run on the same files into two raw schemas under two runs, and everything the ingest leaves
 * behind is compared: the raw tables (every row and its line), audit.rejected_rows (line, column,
 * value, reason, record, key, after the duplicate and orphan quarantines too) and the counts in
 * audit.file_loads. Files the server path must decline are checked to fall back transparently.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startRun } from '../src/audit/runs.ts';
import { ingestToBuild } from '../src/ingest/ingest.ts';
import type { FileLoadResult } from '../src/ingest/loadFile.ts';
import { SOURCES } from '../src/sources/index.ts';
import { TRAP_FILES } from './fixtures/traps.ts';
import { openTestWarehouse, quietLogger, REAL_DATA_DIR, type TestWarehouse } from './helpers/db.ts';

const id = (c: string, n: number) => `${c}${String(n).padStart(31, '0')}`;

/**
 * Every kind of bad value the specs know, in files PostgreSQL's CSV parser reads as csv-parse does
 * (so the server path takes them all), with quoted fields holding line breaks (LF and CRLF), doubled
 * quotes, commas, backslashes, tabs and non-ASCII text, a permuted header, a BOM and CRLF file.
 */
const BAD_VALUES: Record<string, string> = {
  'olist_customers_dataset.csv': [
    '"customer_id","customer_unique_id","customer_zip_code_prefix","customer_city","customer_state"',
    `${id('c', 1)},${id('d', 1)},"01001",são paulo,SP`,
    `${id('c', 2)},${id('d', 2)},"0100",sao paulo,SP`, // zip too short
    `${id('c', 3)},${id('d', 3)},"010010",sao paulo,SP`, // zip too long
    `${id('c', 4)},${id('d', 4)},"0a001",sao paulo,SP`, // zip not digits
    `${id('c', 5)},${id('d', 5)},"01001",sao paulo,sp`, // state lower case
    `${id('c', 6)},${id('d', 6)},"01001",sao paulo,XX`, // no such state
    `${id('C', 7)},${id('d', 7)},"01001",sao paulo,SP`, // upper-case id
    `${id('c', 8).slice(1)},${id('d', 8)},"01001",sao paulo,SP`, // 31 characters
    `${id('c', 9)}0,${id('d', 9)},"01001",sao paulo,SP`, // 33 characters
    `${id('c', 10)},,"01001",sao paulo,SP`, // required value missing
    `${id('c', 11)},${id('d', 11)},"01001","",SP`, // quoted empty: missing too
    `,${id('d', 12)},"01001",sao paulo,SP`, // missing key: no record key
    `${id('c', 13)},${id('d', 13)},"01001","são ""paulo"", centro",SP`,
    `${id('c', 14)},${id('d', 14)},"01001","back\\slash	tab",SP`,
    `${id('c', 15)},${id('d', 15)},"01001",rio 🌴,RJ`,
    `${id('c', 16)},${id('g', 16)},"01001",x,SP`, // not hex
    '',
  ].join('\n'),
  'olist_geolocation_dataset.csv': [
    '"geolocation_zip_code_prefix","geolocation_lat","geolocation_lng","geolocation_city","geolocation_state"',
    '"01001",-23.55,-46.63,sao paulo,SP',
    '"01001",-23.55,-46.63,sao paulo,SP',
    '"01001",.5,5.,sao paulo,SP',
    '"01001",-.5,1e1,sao paulo,SP',
    '"01001",1E-2,-1.5e+1,sao paulo,SP',
    '"01001",90,-180,sao paulo,SP', // bounds are in range
    '"01001",90.0000001,0,sao paulo,SP', // out of range
    '"01001",1e3,0,sao paulo,SP', // out of range
    '"01001",0,-180.5,sao paulo,SP',
    '"01001",abc,0,sao paulo,SP',
    '"01001",NaN,0,sao paulo,SP',
    '"01001",Infinity,0,sao paulo,SP',
    '"01001",+1,0,sao paulo,SP',
    '"01001"," 1",0,sao paulo,SP',
    '"01001",0x10,0,sao paulo,SP',
    '"01001",-,0,sao paulo,SP',
    '"01001",.,0,sao paulo,SP',
    '"01001",1.2.3,0,sao paulo,SP',
    '"01001",,0,sao paulo,SP',
    '"01001",0,0,,SP',
    '"01001",0,0,x,',
    '"1001",0,0,x,SP',
    '',
  ].join('\n'),
  'olist_orders_dataset.csv': [
    '"order_id","customer_id","order_status","order_purchase_timestamp","order_approved_at","order_delivered_carrier_date","order_delivered_customer_date","order_estimated_delivery_date"',
    `${id('a', 1)},${id('c', 1)},delivered,2017-01-05 10:00:00,2017-01-05 10:10:00,,,2017-01-20 00:00:00`,
    `${id('a', 2)},${id('c', 1)},Delivered,2017-01-05 10:00:00,,,,2017-01-20 00:00:00`, // enumeration is exact
    `${id('a', 3)},${id('c', 1)},lost,2017-01-05 10:00:00,,,,2017-01-20 00:00:00`,
    `${id('a', 4)},${id('c', 1)},created,2017-02-30 10:00:00,,,,2017-03-20 00:00:00`, // no such day
    `${id('a', 5)},${id('c', 1)},created,2016-02-29 10:00:00,,,,2016-03-20 00:00:00`, // leap day
    `${id('a', 6)},${id('c', 1)},created,1900-02-29 10:00:00,,,,2016-03-20 00:00:00`, // not a leap year
    `${id('a', 7)},${id('c', 1)},created,2000-02-29 10:00:00,,,,2016-03-20 00:00:00`, // leap (400)
    `${id('a', 8)},${id('c', 1)},created,2017-04-31 10:00:00,,,,2017-05-20 00:00:00`,
    `${id('a', 9)},${id('c', 1)},created,2017-13-01 10:00:00,,,,2017-05-20 00:00:00`,
    `${id('a', 10)},${id('c', 1)},created,2017-01-01 24:00:00,,,,2017-05-20 00:00:00`,
    `${id('a', 11)},${id('c', 1)},created,2017-01-01 23:60:00,,,,2017-05-20 00:00:00`,
    `${id('a', 12)},${id('c', 1)},created,2017-01-01,,,,2017-05-20 00:00:00`,
    `${id('a', 13)},${id('c', 1)},created,2017-01-01T10:00:00,,,,2017-05-20 00:00:00`,
    `${id('a', 14)},${id('c', 1)},created," 2017-01-01 10:00:00",,,,2017-05-20 00:00:00`,
    `${id('a', 15)},${id('c', 1)},created,2017-01-01 10:00:00.5,,,,2017-05-20 00:00:00`,
    `${id('a', 16)},${id('c', 1)},created,2017-01-01 10:00:00,2017-00-01 10:00:00,,,2017-05-20 00:00:00`,
    `${id('a', 17)},${id('c', 1)},created,2017-01-01 10:00:00,,,,`, // required timestamp missing
    `${id('a', 18)},${id('c', 2)},created,2017-01-01 10:00:00,,,,2017-05-20 00:00:00`, // parent quarantined: cascades
    `${id('a', 19)},${id('c', 1)},created,2017-01-01 10:00:00,,,,2017-05-20 00:00:00`,
    `${id('a', 19)},${id('c', 1)},created,2017-01-01 10:00:00,,,,2017-05-20 00:00:00`, // exact duplicate
    `${id('a', 20)},${id('c', 1)},created,2017-01-01 10:00:00,,,,2017-05-20 00:00:00`,
    `${id('a', 20)},${id('c', 1)},shipped,2017-01-01 10:00:00,,,,2017-05-20 00:00:00`, // conflicting duplicate
    '',
  ].join('\n'),
  'olist_order_items_dataset.csv': [
    '"order_id","order_item_id","product_id","seller_id","shipping_limit_date","price","freight_value"',
    `${id('a', 1)},1,${id('b', 1)},${id('e', 1)},2017-01-07 10:00:00,100.00,10.00`,
    `${id('a', 1)},2,${id('b', 1)},${id('e', 1)},2017-01-07 10:00:00,100.5,0`,
    `${id('a', 1)},3,${id('b', 1)},${id('e', 1)},2017-01-07 10:00:00,100.123,1`, // 3 decimals
    `${id('a', 1)},4,${id('b', 1)},${id('e', 1)},2017-01-07 10:00:00,-5.00,1`, // below 0
    `${id('a', 1)},5,${id('b', 1)},${id('e', 1)},2017-01-07 10:00:00,1e3,1`,
    `${id('a', 1)},6,${id('b', 1)},${id('e', 1)},2017-01-07 10:00:00,12345678901,1`, // 11 digits
    `${id('a', 1)},7,${id('b', 1)},${id('e', 1)},2017-01-07 10:00:00,1234567890.99,1`,
    `${id('a', 1)},8,${id('b', 1)},${id('e', 1)},2017-01-07 10:00:00,.5,1`,
    `${id('a', 1)},9,${id('b', 1)},${id('e', 1)},2017-01-07 10:00:00,-0.00,1`,
    `${id('a', 1)},0,${id('b', 1)},${id('e', 1)},2017-01-07 10:00:00,1,1`, // item 0: below range
    `${id('a', 1)},1001,${id('b', 1)},${id('e', 1)},2017-01-07 10:00:00,1,1`,
    `${id('a', 1)},1.0,${id('b', 1)},${id('e', 1)},2017-01-07 10:00:00,1,1`,
    `${id('a', 1)},+12,${id('b', 1)},${id('e', 1)},2017-01-07 10:00:00,1,1`,
    `${id('a', 1)},1234567890123456,${id('b', 1)},${id('e', 1)},2017-01-07 10:00:00,1,1`,
    `${id('a', 1)},012,${id('b', 1)},${id('e', 1)},2017-01-07 10:00:00,1,1`,
    `${id('a', 3)},1,${id('b', 1)},${id('e', 1)},2017-01-07 10:00:00,1,1`, // order quarantined: cascades
    '',
  ].join('\n'),
  'olist_order_payments_dataset.csv': [
    '"order_id","payment_sequential","payment_type","payment_installments","payment_value"',
    `${id('a', 1)},1,credit_card,3,165.75`,
    `${id('a', 1)},2,bitcoin,1,10.00`,
    `${id('a', 1)},3,boleto,25,10.00`,
    `${id('a', 1)},4,boleto,-1,10.00`,
    `${id('a', 1)},101,boleto,1,10.00`,
    `${id('a', 1)},5,,1,10.00`,
    `${id('a', 20)},1,boleto,1,10.00`, // conflicting duplicate order: cascades
    '',
  ].join('\n'),
  // CRLF records, LF and CRLF inside quoted fields, bad rows after them (their lines shift).
  'olist_order_reviews_dataset.csv': [
    '"review_id","order_id","review_score","review_comment_title","review_comment_message","review_creation_date","review_answer_timestamp"',
    `"${id('f', 1)}","${id('a', 1)}",5,,"Ótimo, chegou ""rápido""\nduas\nlinhas",2017-01-11 00:00:00,2017-01-12 10:00:00`,
    `"${id('f', 2)}","${id('a', 1)}",6,,"uma\r\nlinha a mais",2017-01-11 00:00:00,2017-01-12 10:00:00`,
    `"${id('f', 3)}","${id('a', 1)}",0,"título\n",,2017-01-11 00:00:00,`,
    `"${id('f', 4)}","${id('a', 1)}",3,,"",2017-01-11,2017-01-12 10:00:00`,
    `"${id('f', 5)}","${id('a', 1)}",,,,,`,
    `"${id('f', 5)}","${id('a', 1)}",4,,,,`,
    `"${id('f', 6)}","${id('a', 2)}",4,,,,`, // order quarantined: cascades
    '',
  ].join('\r\n'),
  'olist_products_dataset.csv': [
    '"product_id","product_category_name","product_name_lenght","product_description_lenght","product_photos_qty","product_weight_g","product_length_cm","product_height_cm","product_width_cm"',
    `${id('b', 1)},perfumaria,40,287,1,225,16,10,14`,
    `${id('b', 2)},,,,,,,,`,
    `${id('b', 3)},x,-1,1,1,1,1,1,1`,
    `${id('b', 4)},x,1,1.5,1,1,1,1,1`,
    `${id('b', 5)},x,1,1,1,1,1,1,1e2`,
    `${id('b', 5)},x,1,1,1,1,1,1,2`, // conflicting duplicate
    '',
  ].join('\n'),
  // The header in another order than the spec's.
  'olist_sellers_dataset.csv': [
    '"seller_city","seller_state","seller_id","seller_zip_code_prefix"',
    `belo horizonte,MG,${id('e', 1)},"30000"`,
    `sao paulo,SP,${id('e', 2)},"3000"`,
    `sao paulo,ZZ,,"30000"`,
    '',
  ].join('\n'),
  'product_category_name_translation.csv': '\ufeffproduct_category_name,product_category_name_english\r\nperfumaria,perfumery\r\n,empty\r\n',
};

interface Outcome {
  loads: FileLoadResult[];
  fileLoads: unknown[];
  raw: Record<string, unknown[]>;
  /** Each raw table's columns (name, type, NOT NULL), comment, and whether its rows are stored in file order. */
  tables: Record<string, unknown>;
  rejected: unknown[];
}

describe('the server-side CSV path gives what the streaming path gives', () => {
  let w: TestWarehouse;
  before(async () => {
    w = await openTestWarehouse('ingest_paths');
  });
  after(async () => {
    await w?.close();
  });

  /** `digest`: each raw table as its row count and the md5 of its rows in line order (the real files are too big to compare in memory). */
  async function ingestWith(dir: string, csvPath: 'streaming' | undefined, schema: string, digest = false): Promise<Outcome> {
    const pool = w.ctx.db.pool;
    const runId = await startRun(pool, `test ${csvPath ?? 'server'}`, dir);
    const loads = await ingestToBuild(pool, { runId, dataDir: dir, log: quietLogger(), schema, csvPath });
    const fileLoads = (await pool.query(
      'select source, file_name, file_bytes, file_sha256, rows_read, rows_loaded, rows_rejected from audit.file_loads where run_id = $1 order by source',
      [runId],
    )).rows;
    const raw: Record<string, unknown[]> = {};
    const tables: Record<string, unknown> = {};
    for (const spec of SOURCES) {
      const table = `${schema}.${spec.name}`;
      tables[spec.name] = (await pool.query(
        `select (select json_agg(json_build_array(attname, format_type(atttypid, atttypmod), attnotnull) order by attnum)
                   from pg_attribute where attrelid = $1::regclass and attnum > 0 and not attisdropped) as columns,
                obj_description($1::regclass, 'pg_class') as comment,
                (select coalesce(bool_and(ok), true) from (select _line > lag(_line) over (order by ctid) as ok from ${table}) o) as in_file_order`,
        [table],
      )).rows[0];
      raw[spec.name] = digest
        ? (await pool.query(`select count(*) as n, md5(string_agg(t::text, E'\\n' order by _line)) as md5 from ${schema}.${spec.name} t`)).rows
        : (await pool.query(`select to_jsonb(t) as row from ${schema}.${spec.name} t order by _line`)).rows.map((r) => r.row);
    }
    const rejected = (await pool.query(
      `select source, file_name, line, column_name, value, reason, record, record_key from audit.rejected_rows
        where run_id = $1 order by source, line, reason`,
      [runId],
    )).rows;
    return { loads, fileLoads, raw, tables, rejected };
  }

  async function bothPaths(dir: string, digest = false): Promise<{ server: Outcome; streaming: Outcome }> {
    const streaming = await ingestWith(dir, 'streaming', 'raw_streaming', digest);
    const server = await ingestWith(dir, undefined, 'raw_server', digest);
    assert.deepEqual(server.fileLoads, streaming.fileLoads);
    assert.deepEqual(server.rejected, streaming.rejected);
    for (const spec of SOURCES) assert.deepEqual(server.raw[spec.name], streaming.raw[spec.name], spec.name);
    assert.deepEqual(server.tables, streaming.tables, 'the same raw tables: columns, types, NOT NULL, comment, rows in file order');
    for (const spec of SOURCES) assert.equal((server.tables[spec.name] as { in_file_order: boolean }).in_file_order, true, `${spec.name}: rows stored in file order`);
    return { server, streaming };
  }

  async function fixture(files: Record<string, string>): Promise<string> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'olist-paths-'));
    for (const [name, content] of Object.entries(files)) await fs.writeFile(path.join(dir, name), content);
    return dir;
  }

  test('every kind of bad value, line breaks inside fields: the server path takes every file, same result', async () => {
    const { server, streaming } = await bothPaths(await fixture(BAD_VALUES));
    assert.deepEqual(server.loads.map((l) => [l.source, l.csvPath]), SOURCES.map((s) => [s.name, 'server']));
    assert.ok(streaming.loads.every((l) => l.csvPath === 'streaming'));
    // The fixture exercises the quarantine of every file.
    for (const l of server.loads) assert.ok(l.rowsRejected > 0, `${l.source} has rejected rows`);
    // Lines after records spanning several lines are shifted by the line breaks inside them.
    const reviewLines = (server.raw.order_reviews as { _line: number }[]).map((r) => r._line);
    assert.deepEqual(reviewLines, [2, 11]);
    const rejectedReviewLines = (server.rejected as { source: string; line: string }[]).filter((r) => r.source === 'order_reviews').map((r) => Number(r.line));
    assert.deepEqual(rejectedReviewLines, [5, 7, 9, 10, 12]);
  });

  test('bad values the cheap guards of the valid-row statement refuse without a failed cast: same result', async () => {
    // Without the values that make a cast fail (1.2.3, -, ., an impossible date, a month or minute
    // out of range, a number too long for its column), the guarded statement is the one that loads
    // the valid rows, read once (no second reading with the exact checks); the rest still reach the
    // quarantine.
    const failsACast = /^"01001",(1\.2\.3|-|\.),|,2017-02-30 |,1900-02-29 |,2017-04-31 |,2017-13-01 |,2017-00-01 | 23:60:00|,1234567890123456,|,12345678901,/;
    const files = Object.fromEntries(Object.entries(BAD_VALUES).map(([name, content]) => [name, content.split('\n').filter((l) => !failsACast.test(l)).join('\n')]));
    const { server } = await bothPaths(await fixture(files));
    assert.deepEqual(server.loads.map((l) => [l.source, l.csvPath, l.exactChecksBecause]), SOURCES.map((s) => [s.name, 'server', undefined]));
  });

  test('the trap fixture (a bare quote in the reviews file, a BOM, CRLF): same result, the reviews file streamed for its field count', async () => {
    const { server } = await bothPaths(await fixture(TRAP_FILES));
    // Its bare-quote record reads as eight fields (csv-parse splits at the comma after the quote):
    // requoted, PostgreSQL refuses the extra field, and the streaming path quarantines the record.
    const reviews = server.loads.find((l) => l.source === 'order_reviews')!;
    assert.deepEqual([reviews.csvPath, reviews.streamingBecause], ['streaming', 'extra data after last expected column']);
    assert.equal(server.loads.filter((l) => l.csvPath === 'server').length, SOURCES.length - 1);
  });

  test('quotes inside unquoted fields, in records that load and in records that fail: same result on the server path', async () => {
    const sellers = '"seller_id","seller_zip_code_prefix","seller_city","seller_state"\n';
    const content = `${sellers}${id('e', 1)},"30000",belo horizonte,MG\n${id('e', 2)},"30000",bel"o" horizonte,MG\n` +
      `${id('e', 3)},"30000","pouso\nalegre",MG\n${id('e', 4)},"30000",x,M"G\n${id('e', 5)},30"000,x,MG\n${id('e', 6)},"30000",y,SP`;
    const { server } = await bothPaths(await fixture({ ...BAD_VALUES, 'olist_sellers_dataset.csv': content }));
    const sellerLoad = server.loads.find((l) => l.source === 'sellers')!;
    assert.deepEqual([sellerLoad.csvPath, sellerLoad.requotedRecords, sellerLoad.rowsLoaded, sellerLoad.rowsRejected], ['server', 3, 4, 2]);
    const city = (server.raw.sellers as { seller_city: string }[]).map((r) => r.seller_city);
    assert.deepEqual(city, ['belo horizonte', 'bel"o" horizonte', 'pouso\nalegre', 'y']);
  });

  test('what PostgreSQL reads differently or refuses falls back to the streaming path, with the same result', async () => {
    const sellers = '"seller_id","seller_zip_code_prefix","seller_city","seller_state"\n';
    const good = `${id('e', 1)},"30000",belo horizonte,MG\n`;
    const cases: Record<string, string> = {
      'text after a closing quote': `${sellers}${good}${id('e', 2)},"30000","belo"x,MG\n`,
      'end-of-data marker': `${sellers}${good}\\.\n${id('e', 2)},"30000",x,MG\n`,
      'wrong field count': `${sellers}${good}${id('e', 2)},"30000",x\n`,
      'blank line': `${sellers}${good}\n${id('e', 2)},"30000",x,MG\n`,
      'replacement character': `${sellers}${good}${id('e', 2)},"30000",x\uFFFD,MG\n`,
      'NUL in a text field': `${sellers}${good}${id('e', 2)},"30000",x\0y,MG\n`,
      'number overflowing a double': `"geolocation_zip_code_prefix","geolocation_lat","geolocation_lng","geolocation_city","geolocation_state"\n"01001",1e400,0,x,SP\n"01001",1,0,x,SP\n`,
      'integer too large for the column': `"product_id","product_category_name","product_name_lenght","product_description_lenght","product_photos_qty","product_weight_g","product_length_cm","product_height_cm","product_width_cm"\n${id('b', 1)},x,99999999999,1,1,1,1,1,1\n`,
    };
    for (const [what, content] of Object.entries(cases)) {
      const name = content.startsWith('"geolocation') ? 'olist_geolocation_dataset.csv' : content.startsWith('"product_id"') ? 'olist_products_dataset.csv' : 'olist_sellers_dataset.csv';
      const dir = await fixture({ ...BAD_VALUES, [name]: content });
      const spec = SOURCES.find((s) => s.fileName === name)!;
      const pool = w.ctx.db.pool;
      const outcome = async (csvPath: 'streaming' | undefined, schema: string) => {
        const runId = await startRun(pool, what, dir);
        const loads = await ingestToBuild(pool, { runId, dataDir: dir, log: quietLogger(), schema, csvPath, sources: [spec] })
          .catch((err: Error) => err.message);
        if (typeof loads === 'string') return { error: loads };
        const rejected = (await pool.query('select line, column_name, value, reason, record, record_key from audit.rejected_rows where run_id = $1 order by line', [runId])).rows;
        const raw = (await pool.query(`select to_jsonb(t) as row from ${schema}.${spec.name} t order by _line`)).rows;
        return { loads: loads.map(({ durationMs: _, csvPath: __, streamingBecause: ___, ...l }) => l), csvPath: loads[0]!.csvPath, rejected, raw };
      };
      const streaming = await outcome('streaming', 'raw_streaming');
      const { csvPath, ...server } = await outcome(undefined, 'raw_server');
      const { csvPath: _, ...expected } = streaming;
      assert.deepEqual(server, expected, what);
      if (!('error' in server)) assert.equal(csvPath, 'streaming', what);
    }
  });

  test('the real Kaggle files: same raw tables, quarantine and counts, every file on the server path', { skip: !existsSync(path.join(REAL_DATA_DIR, SOURCES[0]!.fileName)) }, async () => {
    const { server } = await bothPaths(REAL_DATA_DIR, true);
    assert.deepEqual(server.loads.map((l) => [l.source, l.csvPath]), SOURCES.map((s) => [s.name, 'server']));
    // The reviews file's bare-quote record (line 81,468) went to PostgreSQL requoted.
    assert.deepEqual(server.loads.filter((l) => l.requotedRecords).map((l) => [l.source, l.requotedRecords]), [['order_reviews', 1]]);
  });
});

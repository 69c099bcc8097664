/**
 * One scale-1 dataset (synthetic catalogs), checked for volumes, integrity, traps, distributions and
 * byte format, and compared with the real files through the same reader when they are present.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { REAL_VOLUMES } from '../../src/generate/calibration.ts';
import { generateDataset, type GenerateSummary } from '../../src/generate/generate.ts';
import { measure, type Measurement } from '../../src/generate/measure.ts';
import { parse } from 'csv-parse/sync';
import { READER_OPTIONS, readRows } from '../../src/generate/reader.ts';
import { SOURCES } from '../../src/sources/index.ts';
import { realDataDir, removeDir, SKIP_NO_REAL, tempDir } from './helpers.ts';

let dir = '';
let summary: GenerateSummary;
let gen: Measurement;
const real = realDataDir();

/** measure() returns loosely typed JSON-like figures. */
type M = any;

before(async () => {
  dir = tempDir('scale1');
  summary = await generateDataset({ scale: 1, seed: 2024, outDir: dir, referenceDir: '' });
  gen = await measure(dir);
});
after(() => removeDir(dir));

const rows = (source: string): number => summary.files.find((f) => f.source === source)!.rows;

test('scale 1 reproduces the real volumes', () => {
  assert.equal(rows('orders'), REAL_VOLUMES.orders);
  assert.equal(rows('customers'), REAL_VOLUMES.orders);
  assert.equal(rows('order_items'), REAL_VOLUMES.items);
  assert.equal(rows('order_payments'), REAL_VOLUMES.payments);
  assert.equal(rows('order_reviews'), REAL_VOLUMES.reviews);
  assert.equal(rows('products'), REAL_VOLUMES.products);
  assert.equal(rows('sellers'), REAL_VOLUMES.sellers);
  assert.equal(rows('geolocation'), REAL_VOLUMES.geolocation);
  const v = (gen as M).volumes;
  // The reader agrees with the writer's counts (multi-line comments included).
  assert.equal(v.reviews, REAL_VOLUMES.reviews);
  assert.equal(v.customerUnique, REAL_VOLUMES.customerUnique);
  assert.ok(Math.abs(v.geoZips - REAL_VOLUMES.geolocationZips) < 600, `zip prefixes ${v.geoZips}`);
  assert.equal(v.categories, 73);
  assert.ok(summary.elapsedMs > 0 && summary.totalBytes > 100_000_000);
});

test('referential integrity holds where the real data has it', async () => {
  const orders = new Set<string>();
  const orderCustomers = new Set<string>();
  await readRows(dir, 'orders', (r) => { orders.add(r[0]!); orderCustomers.add(r[1]!); });
  const customers = new Set<string>();
  await readRows(dir, 'customers', (r) => customers.add(r[0]!));
  assert.equal(customers.size, rows('customers'), 'customer_id unique');
  assert.deepEqual([...orderCustomers].filter((c) => !customers.has(c)), []);
  assert.equal(orderCustomers.size, orders.size, 'one customer_id per order');
  const products = new Set<string>();
  await readRows(dir, 'products', (r) => products.add(r[0]!));
  const sellers = new Set<string>();
  await readRows(dir, 'sellers', (r) => sellers.add(r[0]!));
  let bad = 0;
  const itemKeys = new Set<string>();
  await readRows(dir, 'order_items', (r) => {
    if (!orders.has(r[0]!) || !products.has(r[2]!) || !sellers.has(r[3]!)) bad++;
    itemKeys.add(r[0] + '/' + r[1]);
  });
  assert.equal(bad, 0, 'items reference orders, products and sellers');
  assert.equal(itemKeys.size, rows('order_items'), '(order_id, order_item_id) unique');
  await readRows(dir, 'order_payments', (r) => { if (!orders.has(r[0]!)) bad++; });
  await readRows(dir, 'order_reviews', (r) => { if (!orders.has(r[0 + 1]!)) bad++; });
  assert.equal(bad, 0, 'payments and reviews reference orders');
  const t = (gen as M).traps;
  assert.equal(t.itemsOrphan, 0);
});

test('every trap of the real data is present at about its real rate', () => {
  const t = (gen as M).traps;
  const near = (x: number, real: number, tol: number, what: string): void =>
    assert.ok(Math.abs(x - real) <= tol, `${what}: ${x}, real ${real} (±${tol})`);
  near(t.ordersWithoutItems, 775, 0, 'orders without items');
  assert.ok(t.ordersWithoutItemsByStatus.unavailable > 500 && t.ordersWithoutItemsByStatus.canceled > 100);
  near(t.deliveredNoDate, 8, 8, 'delivered without delivered date');
  assert.ok(t.deliveredNoDate >= 1);
  near(t.missingApproved, 160, 50, 'missing approval');
  near(t.missingCarrier, 1783, 80, 'missing carrier date');
  near(t.carrierBeforeApproval, 1359, 250, 'carrier before approval');
  assert.ok(t.carrierBeforePurchase > 50 && t.carrierBeforePurchase < 300);
  near(t.dupReviewIds, 789, 60, 'duplicate review ids');
  near(t.ordersMultiReview, 547, 0, 'orders with several reviews');
  near(t.ordersWithoutReview, 768, 0, 'orders without review');
  near(t.productsNoCategory, 610, 0, 'products without category');
  assert.ok(t.productsNoDims >= 1);
  assert.deepEqual([...t.untranslatedCategories].sort(), ['pc_gamer', 'portateis_cozinha_e_preparadores_de_alimentos']);
  near(t.geoExactDuplicates / REAL_VOLUMES.geolocation, 0.28, 0.04, 'share of duplicate geolocation points');
  near(t.geoOutsideBrazil, 42, 30, 'points outside Brazil');
  assert.ok(t.geoOutsideBrazil >= 1);
  near(t.geoZipsMultiCity, 8556, 2000, 'prefixes with several city spellings');
  near(t.customerRowsZipMissingFromGeo, 278, 90, 'customer rows with a prefix missing from geolocation');
  assert.ok(t.customerZipsMissingFromGeo >= 50);
  assert.ok(t.sellerZipsMissingFromGeo >= 1 && t.sellerZipsMissingFromGeo <= 25, `sellers ${t.sellerZipsMissingFromGeo}`);
  near(t.ordersWithoutPayment, 1, 0, 'orders without payment');
});

test('distributions match the measured calibration within tolerance', () => {
  const g = gen as M;
  const near = (x: number, want: number, tol: number, what: string): void =>
    assert.ok(Math.abs(x - want) <= tol, `${what}: ${x}, want ${want} (±${tol})`);
  near(g.statusShares.delivered, 0.970, 0.002, 'delivered');
  near(g.statusShares.shipped, 0.011, 0.001, 'shipped');
  near(g.statusShares.canceled, 0.0063, 0.001, 'canceled');
  near(g.statusShares.unavailable, 0.0061, 0.001, 'unavailable');
  near(g.customerStates.SP, 0.4198, 0.015, 'SP');
  near(g.customerStates.RJ, 0.1292, 0.01, 'RJ');
  near(g.customerStates.MG, 0.117, 0.01, 'MG');
  near(g.deliveryDays.mean, 12.56, 1.0, 'delivery mean days');
  assert.ok(g.deliveryDays.q[5] > 35 && g.deliveryDays.max > 100, 'long tail of delivery times');
  near(g.lateShare.all, 0.068, 0.012, 'late share');
  assert.ok(g.lateShare.northNorthEast > 1.5 * g.lateShare.other, 'more late deliveries in North/North-East');
  assert.ok(g.slackDays.q[2] > 0, 'estimated dates mostly later than actual');
  near(g.scores['5'], 0.578, 0.015, 'score 5');
  near(g.scores['4'], 0.193, 0.015, 'score 4');
  near(g.scores['1'], 0.115, 0.015, 'score 1');
  assert.ok(g.scores['5'] > g.scores['4'] && g.scores['4'] > g.scores['1'] && g.scores['1'] > g.scores['3'] && g.scores['3'] > g.scores['2'], 'U shape');
  assert.ok(g.scoreMeanLate < g.scoreMeanOnTime - 1.5, 'late orders score lower');
  near(g.price.q[2], 75, 8, 'median price');
  near(g.price.mean, 120.65, 12, 'mean price');
  near(g.freight.mean, 20, 2, 'mean freight');
  near(g.itemsPerOrder['1'] / 98_666, 0.9, 0.01, 'single-item orders');
  near(g.paymentTypes.credit_card, 0.739, 0.02, 'credit card payments');
  near(g.paymentTypes.boleto, 0.19, 0.02, 'boleto payments');
  assert.ok(g.paymentTypes.voucher > 0.03 && g.paymentTypes.debit_card > 0.005);
  assert.ok(g.installments.credit_card.mean > 2.5 && g.installments.credit_card.q[4] >= 10);
  assert.ok(g.paymentMatchesItems > 0.99 && g.paymentMatchesItems < 1, `payments match ${g.paymentMatchesItems}`);
  assert.equal(g.topDays[0][0], '2017-11-24', 'Black Friday is the busiest day');
  assert.ok(g.purchaseRange[0] >= '2016-09-04' && g.purchaseRange[1] < '2018-10-18');
  const y2016 = Object.entries(g.months as Record<string, number>).filter(([m]) => m < '2017').reduce((t, [, n]) => t + n, 0);
  assert.ok(y2016 / 99_441 < 0.01, 'few orders in 2016');
  assert.ok(g.months['2018-01'] > 1.5 * g.months['2017-03'], 'growth through 2017');
  const night = ['2', '3', '4', '5'].reduce((t, h) => t + g.hour[h], 0);
  assert.ok(night < 0.02 && g.hour['14'] > 0.05, 'fewer purchases at night');
  assert.ok(g.dow['1'] > g.dow['6'] + 0.03, 'Monday busier than Saturday');
  assert.ok(g.reviewText.msgNewline > 1000 && g.reviewText.msgComma > 5000 && g.reviewText.msgQuote > 50);
});

test('byte format follows the Kaggle conventions', () => {
  const head = (f: string, n = 4000): string => readFileSync(join(dir, f)).subarray(0, n).toString('utf8');
  for (const spec of SOURCES) {
    const h = head(spec.fileName);
    if (spec.name === 'category_translation') {
      assert.ok(h.startsWith('\uFEFFproduct_category_name,product_category_name_english\r\n'));
      assert.ok(!h.includes('"'));
      continue;
    }
    const eol = spec.name === 'order_reviews' ? '\r\n' : '\n';
    const first = h.slice(0, h.indexOf(eol));
    assert.equal(first, spec.columns.filter((c) => !c.optional).map((c) => `"${c.source ?? c.name}"`).join(','), spec.fileName);
    if (eol === '\n') assert.ok(!h.includes('\r'), `${spec.fileName} has LF endings`);
  }
  const orders = head('olist_orders_dataset.csv', 200_000).split('\n').slice(1, -1);
  for (const line of orders) {
    assert.match(line, /^("[0-9][0-9a-f]{31}"|[a-f][0-9a-f]{31}),("[0-9][0-9a-f]{31}"|[a-f][0-9a-f]{31}),[a-z]+,\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)?,(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)?,(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)?,\d{4}-\d\d-\d\d 00:00:00$/);
  }
  const items = head('olist_order_items_dataset.csv', 100_000).split('\n').slice(1, -1);
  for (const line of items) assert.match(line, /,\d+\.\d\d,\d+\.\d\d$/);
  // Review ids always quoted, comments with line breaks inside quotes, CRLF after each record.
  const rhead = head('olist_order_reviews_dataset.csv', 400_000);
  const records = parse(rhead.slice(0, rhead.lastIndexOf('\r\n"')), READER_OPTIONS) as string[][];
  let multiline = 0;
  for (const r of records.slice(1)) {
    assert.match(r[0]!, /^[0-9a-f]{32}$/);
    assert.ok(rhead.includes(`"${r[0]}","${r[1]}",${r[2]},`), 'ids quoted');
    if (r[4]!.includes('\r\n')) {
      multiline++;
      assert.ok(rhead.includes(',"' + r[4]!.replace(/"/g, '""') + '",'), 'multi-line comment quoted');
    }
  }
  assert.ok(multiline > 10, `comments spanning lines: ${multiline}`);
  const customers = head('olist_customers_dataset.csv', 100_000).split('\n').slice(1, -1);
  for (const line of customers) assert.match(line, /,"\d{5}",[a-z' -]+,[A-Z]{2}$/);
});

test('real and generated files go through the same reader with the same shape', async (t) => {
  if (!real) return t.skip(SKIP_NO_REAL);
  for (const spec of SOURCES) {
    const realHead = readFileSync(join(real, spec.fileName)).subarray(0, 300);
    const genHead = readFileSync(join(dir, spec.fileName)).subarray(0, 300);
    const firstLine = (b: Buffer): string => b.toString('utf8').split('\n')[0]!;
    assert.equal(firstLine(genHead), firstLine(realHead), `${spec.fileName}: header bytes`);
    let width = -1;
    let realWidth = -1;
    await readRows(dir, spec.name, (r) => { if (width === -1) width = r.length; else assert.equal(r.length, width); });
    await readRows(real, spec.name, (r) => { if (realWidth === -1) realWidth = r.length; }, 5_000);
    assert.equal(width, realWidth, `${spec.fileName}: record width`);
  }
});

test('generated figures sit next to the real ones', async (t) => {
  if (!real) return t.skip(SKIP_NO_REAL);
  const r = (await measure(real)) as M;
  const g = gen as M;
  for (const k of ['orders', 'items', 'payments', 'reviews', 'products', 'sellers', 'geolocation', 'customerUnique']) {
    assert.equal(g.volumes[k], r.volumes[k], `volume ${k}`);
  }
  for (const s of ['SP', 'RJ', 'MG', 'RS', 'PR', 'BA']) assert.ok(Math.abs(g.customerStates[s] - r.customerStates[s]) < 0.01, `state ${s}`);
  for (const s of ['1', '2', '3', '4', '5']) assert.ok(Math.abs(g.scores[s] - r.scores[s]) < 0.015, `score ${s}`);
  assert.ok(Math.abs(g.deliveryDays.mean - r.deliveryDays.mean) < 1, 'delivery mean');
  assert.ok(Math.abs(g.estimatedDays.mean - r.estimatedDays.mean) < 1.5, 'estimated mean');
  assert.ok(Math.abs(g.lateShare.all - r.lateShare.all) < 0.012, 'late share');
  assert.ok(Math.abs(g.price.q[2] - r.price.q[2]) < 8, 'median price');
  assert.ok(Math.abs(g.freight.mean - r.freight.mean) < 2, 'mean freight');
  assert.ok(Math.abs(g.approveHours.q[2] - r.approveHours.q[2]) < 0.2, 'median approval');
  assert.ok(Math.abs(g.paymentMatchesItems - r.paymentMatchesItems) < 0.003, 'payments = items + freight');
  assert.ok(Math.abs(g.reviewText.message - r.reviewText.message) < 0.03, 'messages');
});

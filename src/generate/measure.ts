/**
 * Measures, on a directory of Olist CSV files (the real ones, or generated ones), the figures the
 * generator is calibrated on. Used to fill calibration.ts and docs/generator.md, and by the tests to
 * compare generated output with the real files through the same reader.
 *
 *   npx tsx src/generate/measure.ts [DIR]      (DIR defaults to $OLIST_DATA_DIR or /work/shared/data/olist)
 */
import { pathToFileURL } from 'node:url';
import { readRows } from './reader.ts';

export { readRows, READER_OPTIONS } from './reader.ts';

const DAY = 86_400_000;
function ts(s: string | undefined): number {
  if (!s) return NaN;
  return Date.parse(s.replace(' ', 'T') + 'Z');
}
function quantiles(xs: number[], qs: number[]): number[] {
  const s = [...xs].sort((a, b) => a - b);
  return qs.map((q) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN);
}
function mean(xs: number[]): number {
  let t = 0;
  for (const x of xs) t += x;
  return xs.length ? t / xs.length : NaN;
}
function shares(counts: Map<string, number>, total: number, digits = 4): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of [...counts].sort((a, b) => b[1] - a[1])) out[k] = Number((v / total).toFixed(digits));
  return out;
}
function inc(m: Map<string, number>, k: string, by = 1): void {
  m.set(k, (m.get(k) ?? 0) + by);
}
const r2 = (x: number): number => Math.round(x * 100) / 100;

export const NORTH_NORTHEAST = new Set(['AC', 'AM', 'AP', 'PA', 'RO', 'RR', 'TO', 'AL', 'BA', 'CE', 'MA', 'PB', 'PE', 'PI', 'RN', 'SE']);

export interface Measurement {
  [key: string]: unknown;
}

/** Every calibration figure, measured on one directory. */
export async function measure(dir: string): Promise<Measurement> {
  // ---- customers
  const custState = new Map<string, string>();
  const custZip = new Map<string, string>();
  const custUnique = new Map<string, string>();
  const stateCounts = new Map<string, number>();
  await readRows(dir, 'customers', (r) => {
    custUnique.set(r[0]!, r[1]!);
    custZip.set(r[0]!, r[2]!);
    custState.set(r[0]!, r[4]!);
    inc(stateCounts, r[4]!);
  });
  const ordersPerUnique = new Map<string, number>();
  for (const u of custUnique.values()) inc(ordersPerUnique, u);
  const repeatHist = new Map<string, number>();
  for (const n of ordersPerUnique.values()) inc(repeatHist, String(n));

  // ---- orders
  interface O { status: string; purchase: number; approved: number; carrier: number; delivered: number; estimated: number; state: string }
  const orders = new Map<string, O>();
  const status = new Map<string, number>();
  const month = new Map<string, number>();
  const dow = new Map<string, number>();
  const hour = new Map<string, number>();
  const day = new Map<string, number>();
  let missingApproved = 0, missingCarrier = 0, deliveredNoDate = 0, carrierBeforeApproval = 0, carrierBeforePurchase = 0;
  const missingApprovedByStatus = new Map<string, number>();
  const missingCarrierByStatus = new Map<string, number>();
  const missingDeliveredByStatus = new Map<string, number>();
  const approveH: number[] = [], carrierD: number[] = [], deliverD: number[] = [], estD: number[] = [], slackD: number[] = [];
  let late = 0, delivCount = 0, lateNNE = 0, delivNNE = 0, lateOther = 0, delivOther = 0;
  let minP = Infinity, maxP = -Infinity;
  let estimatedMidnight = 0;
  await readRows(dir, 'orders', (r) => {
    const o: O = { status: r[2]!, purchase: ts(r[3]), approved: ts(r[4]), carrier: ts(r[5]), delivered: ts(r[6]), estimated: ts(r[7]), state: custState.get(r[1]!) ?? '' };
    orders.set(r[0]!, o);
    inc(status, o.status);
    inc(month, r[3]!.slice(0, 7));
    inc(day, r[3]!.slice(0, 10));
    inc(dow, String(new Date(o.purchase).getUTCDay()));
    inc(hour, String(new Date(o.purchase).getUTCHours()));
    minP = Math.min(minP, o.purchase); maxP = Math.max(maxP, o.purchase);
    if (r[7]!.endsWith('00:00:00')) estimatedMidnight++;
    if (Number.isNaN(o.approved)) { missingApproved++; inc(missingApprovedByStatus, o.status); } else approveH.push((o.approved - o.purchase) / 3_600_000);
    if (Number.isNaN(o.carrier)) { missingCarrier++; inc(missingCarrierByStatus, o.status); } else carrierD.push((o.carrier - o.purchase) / DAY);
    if (Number.isNaN(o.delivered)) inc(missingDeliveredByStatus, o.status);
    if (o.status === 'delivered' && Number.isNaN(o.delivered)) deliveredNoDate++;
    if (o.carrier < o.approved) carrierBeforeApproval++;
    if (o.carrier < o.purchase) carrierBeforePurchase++;
    estD.push((o.estimated - o.purchase) / DAY);
    if (o.status === 'delivered' && !Number.isNaN(o.delivered)) {
      deliverD.push((o.delivered - o.purchase) / DAY);
      slackD.push((o.estimated - o.delivered) / DAY);
      const isLate = o.delivered > o.estimated + DAY - 1000; // later than the estimated day
      delivCount++; if (isLate) late++;
      if (NORTH_NORTHEAST.has(o.state)) { delivNNE++; if (isLate) lateNNE++; } else { delivOther++; if (isLate) lateOther++; }
    }
  });
  const nOrders = orders.size;

  // ---- items
  const itemsPerOrder = new Map<string, number>();
  const itemTotal = new Map<string, number>();
  const prices: number[] = [], freights: number[] = [];
  const productsUsed = new Set<string>();
  const sellersUsed = new Set<string>();
  let itemsOrphan = 0, nItems = 0;
  await readRows(dir, 'order_items', (r) => {
    nItems++;
    inc(itemsPerOrder, r[0]!);
    const p = Number(r[5]), f = Number(r[6]);
    prices.push(p); freights.push(f);
    itemTotal.set(r[0]!, (itemTotal.get(r[0]!) ?? 0) + p + f);
    productsUsed.add(r[2]!); sellersUsed.add(r[3]!);
    if (!orders.has(r[0]!)) itemsOrphan++;
  });
  const itemsHist = new Map<string, number>();
  for (const n of itemsPerOrder.values()) inc(itemsHist, String(n));
  const noItemsByStatus = new Map<string, number>();
  for (const [id, o] of orders) if (!itemsPerOrder.has(id)) inc(noItemsByStatus, o.status);
  const noItems = [...noItemsByStatus.values()].reduce((a, b) => a + b, 0);

  // ---- payments
  const payType = new Map<string, number>();
  const payTotal = new Map<string, number>();
  const paySeq = new Map<string, number>();
  const instByType = new Map<string, number[]>();
  let nPay = 0;
  await readRows(dir, 'order_payments', (r) => {
    nPay++;
    inc(payType, r[2]!);
    inc(paySeq, r[0]!);
    payTotal.set(r[0]!, (payTotal.get(r[0]!) ?? 0) + Number(r[4]));
    const a = instByType.get(r[2]!) ?? [];
    a.push(Number(r[3]));
    instByType.set(r[2]!, a);
  });
  const paysPerOrder = new Map<string, number>();
  for (const n of paySeq.values()) inc(paysPerOrder, String(Math.min(n, 5)));
  let payMatch = 0, payCompared = 0;
  for (const [id, t] of itemTotal) {
    const p = payTotal.get(id);
    if (p === undefined) continue;
    payCompared++;
    if (Math.abs(p - t) <= 0.011) payMatch++;
  }
  const instSummary: Record<string, unknown> = {};
  for (const [k, v] of instByType) instSummary[k] = { mean: r2(mean(v)), q: quantiles(v, [0.25, 0.5, 0.75, 0.95, 1]), one: r2(v.filter((x) => x === 1).length / v.length) };
  const ordersWithoutPayment = [...orders.keys()].filter((id) => !payTotal.has(id)).length;

  // ---- reviews
  const score = new Map<string, number>();
  const reviewIds = new Map<string, number>();
  const reviewsPerOrder = new Map<string, number>();
  let nRev = 0, withTitle = 0, withMsg = 0, msgNewline = 0, msgComma = 0, msgQuote = 0, missingCreation = 0, missingAnswer = 0;
  const scoreLate: number[] = [], scoreOnTime: number[] = [];
  const answerD: number[] = [], creationVsDelivered: number[] = [];
  await readRows(dir, 'order_reviews', (r) => {
    nRev++;
    inc(score, r[2]!);
    inc(reviewIds, r[0]!);
    inc(reviewsPerOrder, r[1]!);
    if (r[3]) withTitle++;
    if (r[4]) { withMsg++; if (/[\r\n]/.test(r[4])) msgNewline++; if (r[4].includes(',')) msgComma++; if (r[4].includes('"')) msgQuote++; }
    if (!r[5]) missingCreation++;
    if (!r[6]) missingAnswer++;
    const c = ts(r[5]), a = ts(r[6]);
    if (!Number.isNaN(c) && !Number.isNaN(a)) answerD.push((a - c) / DAY);
    const o = orders.get(r[1]!);
    if (o && o.status === 'delivered' && !Number.isNaN(o.delivered)) {
      const s = Number(r[2]);
      if (o.delivered > o.estimated + DAY - 1000) scoreLate.push(s); else scoreOnTime.push(s);
      if (!Number.isNaN(c)) creationVsDelivered.push((c - o.delivered) / DAY);
    }
  });
  let dupReviewIds = 0, ordersMultiReview = 0;
  for (const n of reviewIds.values()) if (n > 1) dupReviewIds++;
  for (const n of reviewsPerOrder.values()) if (n > 1) ordersMultiReview++;
  const ordersWithoutReview = [...orders.keys()].filter((id) => !reviewsPerOrder.has(id)).length;

  // ---- products, sellers, translation
  const cat = new Map<string, number>();
  let nProd = 0, noCategory = 0, noDims = 0;
  const weights: number[] = [];
  await readRows(dir, 'products', (r) => {
    nProd++;
    if (!r[1]) noCategory++; else inc(cat, r[1]);
    if (!r[5]) noDims++; else weights.push(Number(r[5]));
  });
  const translated = new Set<string>();
  await readRows(dir, 'category_translation', (r) => { translated.add(r[0]!); });
  const untranslated = [...cat.keys()].filter((c) => !translated.has(c));
  const sellerState = new Map<string, number>();
  const sellerZips = new Set<string>();
  let nSell = 0;
  await readRows(dir, 'sellers', (r) => { nSell++; inc(sellerState, r[3]!); sellerZips.add(r[1]!); });

  // ---- geolocation
  const geoZips = new Map<string, number>();
  const zipCities = new Map<string, Set<string>>();
  let nGeo = 0, outside = 0, exactDup = 0;
  const seenPoint = new Set<string>();
  await readRows(dir, 'geolocation', (r) => {
    nGeo++;
    inc(geoZips, r[0]!);
    const lat = Number(r[1]), lng = Number(r[2]);
    if (lat > 5.3 || lat < -33.8 || lng > -34.7 || lng < -74) outside++;
    const key = r[0] + ',' + r[1] + ',' + r[2];
    if (seenPoint.has(key)) exactDup++; else seenPoint.add(key);
    let s = zipCities.get(r[0]!);
    if (!s) zipCities.set(r[0]!, (s = new Set()));
    s.add(r[3]!);
  });
  let zipsMultiCity = 0;
  for (const s of zipCities.values()) if (s.size > 1) zipsMultiCity++;
  const custZipSet = new Set(custZip.values());
  const custZipsMissing = [...custZipSet].filter((z) => !geoZips.has(z)).length;
  let custRowsZipMissing = 0;
  for (const z of custZip.values()) if (!geoZips.has(z)) custRowsZipMissing++;
  const sellerZipsMissing = [...sellerZips].filter((z) => !geoZips.has(z)).length;
  const perZip = [...geoZips.values()];

  const topDays = [...day].sort((a, b) => b[1] - a[1]).slice(0, 5);
  return {
    volumes: { orders: nOrders, customers: custUnique.size, customerUnique: ordersPerUnique.size, items: nItems, payments: nPay, reviews: nRev, products: nProd, sellers: nSell, geolocation: nGeo, geoZips: geoZips.size, categories: cat.size },
    repeatCustomers: Object.fromEntries([...repeatHist].sort((a, b) => Number(a[0]) - Number(b[0]))),
    statusShares: shares(status, nOrders),
    statusCounts: Object.fromEntries(status),
    purchaseRange: [new Date(minP).toISOString(), new Date(maxP).toISOString()],
    months: Object.fromEntries([...month].sort()),
    topDays,
    dow: shares(dow, nOrders),
    hour: shares(hour, nOrders),
    approveHours: { mean: r2(mean(approveH)), q: quantiles(approveH, [0.1, 0.25, 0.5, 0.75, 0.9, 0.99]).map(r2) },
    carrierDays: { mean: r2(mean(carrierD)), q: quantiles(carrierD, [0.1, 0.25, 0.5, 0.75, 0.9, 0.99]).map(r2) },
    deliveryDays: { mean: r2(mean(deliverD)), q: quantiles(deliverD, [0.1, 0.25, 0.5, 0.75, 0.9, 0.99]).map(r2), max: r2(Math.max(...deliverD)) },
    estimatedDays: { mean: r2(mean(estD)), q: quantiles(estD, [0.1, 0.25, 0.5, 0.75, 0.9, 0.99]).map(r2) },
    slackDays: { mean: r2(mean(slackD)), q: quantiles(slackD, [0.05, 0.1, 0.25, 0.5, 0.75, 0.9]).map(r2) },
    estimatedAtMidnight: r2(estimatedMidnight / nOrders),
    lateShare: { all: r2(late / delivCount * 100) / 100, northNorthEast: r2(lateNNE / delivNNE * 100) / 100, other: r2(lateOther / delivOther * 100) / 100 },
    traps: {
      missingApproved, missingApprovedByStatus: Object.fromEntries(missingApprovedByStatus),
      missingCarrier, missingCarrierByStatus: Object.fromEntries(missingCarrierByStatus),
      missingDeliveredByStatus: Object.fromEntries(missingDeliveredByStatus),
      deliveredNoDate, carrierBeforeApproval, carrierBeforePurchase,
      ordersWithoutItems: noItems, ordersWithoutItemsByStatus: Object.fromEntries(noItemsByStatus),
      ordersWithoutPayment, itemsOrphan,
      dupReviewIds, ordersMultiReview, ordersWithoutReview,
      productsNoCategory: noCategory, productsNoDims: noDims, untranslatedCategories: untranslated,
      geoOutsideBrazil: outside, geoExactDuplicates: exactDup, geoZipsMultiCity: zipsMultiCity,
      customerZipsMissingFromGeo: custZipsMissing, customerRowsZipMissingFromGeo: custRowsZipMissing, sellerZipsMissingFromGeo: sellerZipsMissing,
    },
    customerStates: shares(stateCounts, custState.size),
    sellerStates: shares(sellerState, nSell),
    itemsPerOrder: Object.fromEntries([...itemsHist].sort((a, b) => Number(a[0]) - Number(b[0]))),
    price: { mean: r2(mean(prices)), q: quantiles(prices, [0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1]) },
    freight: { mean: r2(mean(freights)), q: quantiles(freights, [0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1]), zero: freights.filter((f) => f === 0).length },
    productsUsed: productsUsed.size, sellersUsed: sellersUsed.size,
    paymentTypes: shares(payType, nPay),
    paymentsPerOrder: Object.fromEntries(paysPerOrder),
    installments: instSummary,
    paymentMatchesItems: r2(payMatch / payCompared * 10000) / 10000,
    scores: shares(score, nRev),
    scoreMeanLate: r2(mean(scoreLate)), scoreMeanOnTime: r2(mean(scoreOnTime)),
    reviewText: { title: r2(withTitle / nRev * 1000) / 1000, message: r2(withMsg / nRev * 1000) / 1000, msgNewline, msgComma, msgQuote, missingCreation, missingAnswer },
    answerDays: { mean: r2(mean(answerD)), q: quantiles(answerD, [0.1, 0.5, 0.9, 0.99]).map(r2) },
    creationVsDeliveredDays: { q: quantiles(creationVsDelivered, [0.05, 0.25, 0.5, 0.75, 0.95]).map(r2) },
    categories: shares(cat, nProd - noCategory, 4),
    weight: { q: quantiles(weights, [0.1, 0.25, 0.5, 0.75, 0.9, 0.99]) },
    geoPerZip: { mean: r2(mean(perZip)), q: quantiles(perZip, [0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1]) },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = process.argv[2] ?? process.env['OLIST_DATA_DIR'] ?? '/work/shared/data/olist';
  console.log(JSON.stringify(await measure(dir), null, 1));
}

/**
 * The transactional files: orders with their customers, items, payments and reviews, generated
 * order by order in one streaming pass (memory does not grow with the scale: only a bounded ring of
 * past customers is kept for repeat purchases).
 *
 * Exact totals (orders, distinct customers, statuses, orders without items, items, payments and
 * reviews per order) come from urns filled with the real counts scaled by S, so scale 1 reproduces
 * the real volumes exactly while the order of outcomes stays random.
 */
import {
  APPROVAL_HOURS, CARD_INSTALLMENTS, CARRIER_DAYS, CUSTOMER_STATES, FREIGHT, ITEMS_PER_ORDER, MULTI_ITEM,
  MULTI_PAYMENT_CARD_SHARE, NO_ITEMS_BY_STATUS, ORDER_TRAPS, PAYMENT_MATCH_SHARE, PAYMENTS_PER_ORDER,
  PURCHASE_DOW, PURCHASE_FIRST, PURCHASE_HOUR, PURCHASE_LAST, PURCHASE_MONTHS, REAL_VOLUMES, REVIEW_ANSWER_DAYS,
  REVIEW_ID_GROUPS, REVIEW_MISSING_DATES, REVIEWS_PER_ORDER, SCORES, SHIPPING_LIMIT_DAYS, SINGLE_PAYMENT_TYPES,
  SPECIAL_DAYS, STATE_DELIVERY, STATUS_COUNTS,
} from './calibration.ts';
import { pickCustomerZip, type Catalog, type Zip } from './catalog.ts';
import type { CsvFileWriter } from './csvWriter.ts';
import { stripAccents } from './places.ts';
import { AliasTable, Categorical, Random, scaleCounts, Urn } from './random.ts';
import { reviewMessage, reviewTitle } from './reviewText.ts';

const HOUR = 3_600_000;
/** Chance that a returning purchase comes from a customer who already came back. */
const REPEAT_AGAIN = 0.12;
const DAY = 86_400_000;

export interface OrderWriters {
  orders: CsvFileWriter;
  customers: CsvFileWriter;
  items: CsvFileWriter;
  payments: CsvFileWriter;
  reviews: CsvFileWriter;
}

const REGION: Readonly<Record<string, string>> = {
  AC: 'N', AM: 'N', AP: 'N', PA: 'N', RO: 'N', RR: 'N', TO: 'N',
  AL: 'NE', BA: 'NE', CE: 'NE', MA: 'NE', PB: 'NE', PE: 'NE', PI: 'NE', RN: 'NE', SE: 'NE',
  DF: 'CO', GO: 'CO', MS: 'CO', MT: 'CO', ES: 'SE', MG: 'SE', RJ: 'SE', SP: 'SE', PR: 'S', RS: 'S', SC: 'S',
};

/** Freight median before distance and weight factors; tuned so generated freight has mean ~20, median ~16. */
const FREIGHT_BASE = 14;
const FREIGHT_SIGMA = 0.4;
/** Mean days a late delivery comes after the estimated day (real late deliveries: median ~7 days late). */
const LATE_MEAN_DAYS = 8;
/** Slow carrier hand-overs make some on-time orders late: the explicit late draw is lowered to compensate. */
const LATE_ADJUST = 0.93;
/** Log-scale spread of on-time delivery times and of estimated delivery times. */
const ONTIME_SIGMA = 0.5;
/** Truncation at the estimated date shortens on-time deliveries: stretch them back to the measured means. */
const DELIVERY_STRETCH = 1.05;
const ESTIMATE_SIGMA = 0.2;

const parseTs = (s: string): number => Date.parse(s.replace(' ', 'T') + 'Z');
const sec = (ms: number): number => Math.round(ms / 1000) * 1000;

/** Day-level purchase distribution: monthly volume x weekday pattern x special days (Black Friday). */
function purchaseDays(): { days: number[]; table: AliasTable } {
  const first = Math.floor(parseTs(PURCHASE_FIRST) / DAY) * DAY;
  const last = Math.floor(parseTs(PURCHASE_LAST) / DAY) * DAY;
  // Each day's shape (weekday x special day) is normalised within its month, so months keep their real totals.
  const shape = (d: number): number => PURCHASE_DOW[new Date(d).getUTCDay()]! * (SPECIAL_DAYS[new Date(d).toISOString().slice(0, 10)] ?? 1);
  const inMonth = new Map<string, number>();
  for (let d = first; d <= last; d += DAY) {
    const m = new Date(d).toISOString().slice(0, 7);
    inMonth.set(m, (inMonth.get(m) ?? 0) + shape(d));
  }
  const days: number[] = [];
  const weights: number[] = [];
  for (let d = first; d <= last; d += DAY) {
    const m = new Date(d).toISOString().slice(0, 7);
    days.push(d);
    weights.push(((PURCHASE_MONTHS[m] ?? 0) * shape(d)) / inMonth.get(m)!);
  }
  return { days, table: new AliasTable(weights) };
}

function countsOf(rec: Readonly<Record<string, number>>): { values: number[]; counts: number[] } {
  return { values: Object.keys(rec).map(Number), counts: Object.values(rec) };
}

interface Customer { uniqueId: string; zip: Zip }
interface SharedReview { id: string; score: number; title: string | null; message: string | null; creation: number | null; answer: number | null }

/** Generates every order of the dataset and writes the five transactional files. */
export async function generateOrders(seed: number, scale: number, catalog: Catalog, w: OrderWriters): Promise<void> {
  const rng = new Random(seed, 'orders');
  const n = Math.max(1, Math.round(REAL_VOLUMES.orders * scale));

  // Groups: single new customer, single returning customer, or 2-3 orders placed together by one
  // customer and covered by one review (the real duplicate review ids).
  const pairs = Math.round(REVIEW_ID_GROUPS.pairs * scale);
  const triples = Math.round(REVIEW_ID_GROUPS.triples * scale);
  const unique = Math.min(n, Math.round(REAL_VOLUMES.customerUnique * scale));
  const returning = Math.max(0, n - unique - pairs - 2 * triples);
  const newSingles = Math.max(0, n - returning - 2 * pairs - 3 * triples);
  const groups = new Urn(['new', 'returning', 'pair', 'triple'] as const, [newSingles, returning, pairs, triples]);

  const statusNames = Object.keys(STATUS_COUNTS);
  const statusCounts = scaleCounts(Object.values(STATUS_COUNTS), n);
  const statusUrn = new Urn(statusNames, statusCounts);
  const noItemsUrn = new Map<string, Urn<boolean>>();
  let withItems = 0;
  statusNames.forEach((s, i) => {
    const c = statusCounts[i]!;
    const none = Math.min(c, Math.round((NO_ITEMS_BY_STATUS[s] ?? 0) * scale));
    noItemsUrn.set(s, new Urn([false, true], [c - none, none]));
    withItems += c - none;
  });
  const ip = countsOf(ITEMS_PER_ORDER);
  const itemsUrn = new Urn(ip.values, scaleCounts(ip.counts, withItems));
  let itemsLeft = ip.values.reduce((t, k, i) => t + k * scaleCounts(ip.counts, withItems)[i]!, 0);
  const pp = countsOf(PAYMENTS_PER_ORDER);
  const paymentsUrn = new Urn(pp.values, scaleCounts(pp.counts, n));
  const rp = countsOf(REVIEWS_PER_ORDER);
  const reviewsUrn = new Urn(rp.values, scaleCounts(rp.counts, n));

  const { days, table: dayTable } = purchaseDays();
  const hourTable = new AliasTable(PURCHASE_HOUR);
  const customerStates = Categorical.fromRecord(CUSTOMER_STATES);
  const singleTypes = Categorical.fromRecord(SINGLE_PAYMENT_TYPES);
  const installments = Categorical.fromRecord(CARD_INSTALLMENTS);
  const shipDays = Categorical.fromRecord(SHIPPING_LIMIT_DAYS);
  const scoreTables = {
    onTime: new AliasTable(SCORES.onTime), late: new AliasTable(SCORES.late), notDelivered: new AliasTable(SCORES.notDelivered),
  };

  // Products: popularity is heavy-tailed; a cover pointer walks a permutation so that, as in the real
  // file, (nearly) every catalog product and seller is sold at least once when volumes allow it.
  const { products, sellers, productsBySeller, universe } = catalog;
  const productTable = new AliasTable(products.map(() => rng.lognormal(1, 1.3)));
  const coverOrder = rng.shuffle(products.map((_, i) => i));
  let cover = 0;
  const pickProduct = (): number => {
    if (cover < coverOrder.length && rng.chance(Math.min(1, ((coverOrder.length - cover) * 1.3) / Math.max(1, itemsLeft)))) {
      return coverOrder[cover++]!;
    }
    return productTable.draw(rng);
  };

  // On-time delivery medians per state, derived so that the mean delivery time per state matches.
  const onTimeMedian = new Map<string, number>();
  for (const [st, [deliv, est, late]] of Object.entries(STATE_DELIVERY)) {
    const onTimeMean = Math.max(2, (deliv - late * (est + 1 + LATE_MEAN_DAYS)) / (1 - late));
    onTimeMedian.set(st, (DELIVERY_STRETCH * onTimeMean) / Math.exp((ONTIME_SIGMA * ONTIME_SIGMA) / 2));
  }

  // Returning customers: most come back once; some keep coming back (real: 2,745 with 2 orders, 252 with 3+).
  const repeaters: Customer[] = [];
  const ring: Customer[] = [];
  const RING = 1 << 15;
  let ringNext = 0;
  const remember = (c: Customer): void => {
    if (ring.length < RING) ring.push(c);
    else ring[ringNext++ % RING] = c;
  };
  const newCustomer = (): Customer => ({ uniqueId: rng.hexId(), zip: pickCustomerZip(rng, universe, customerStates.draw(rng)) });

  const purchaseTime = (): number => {
    const day = days[dayTable.draw(rng)]!;
    return day + hourTable.draw(rng) * HOUR + rng.int(3600) * 1000;
  };

  // ---------------------------------------------------------------- one order
  const writeOrder = (cust: Customer, purchase: number, wantStatus: string | undefined, shared: { review?: SharedReview }): string => {
    const orderId = rng.hexId();
    const customerId = rng.hexId();
    const zip = cust.zip;
    const state = zip.state;
    w.customers.row([customerId, cust.uniqueId, zip.prefix, stripAccents(zip.city), state]);

    const status = statusUrn.draw(rng, wantStatus ? (s) => s === wantStatus : undefined);
    const nPay = paymentsUrn.draw(rng);
    let payTypes: string[];
    if (nPay === 0) payTypes = [];
    else if (nPay === 1) payTypes = [singleTypes.draw(rng)];
    else {
      payTypes = Array.from({ length: nPay }, () => 'voucher');
      if (rng.chance(MULTI_PAYMENT_CARD_SHARE)) payTypes[rng.chance(0.5) ? 0 : nPay - 1] = 'credit_card';
    }
    const boleto = payTypes[0] === 'boleto';

    // --- dates
    const [, estMean, lateShare] = STATE_DELIVERY[state] ?? STATE_DELIVERY['SP']!;
    let approved = purchase + (boleto
      ? rng.lognormal(APPROVAL_HOURS.q90 * 0.85, 0.6) * HOUR
      : rng.chance(0.84) ? rng.lognormal(APPROVAL_HOURS.median * 0.7, 0.6) * HOUR : rng.lognormal(14, 1.0) * HOUR);
    const estimated = Math.floor(purchase / DAY) * DAY + Math.max(3, Math.round(estMean * Math.exp(ESTIMATE_SIGMA * rng.normal()))) * DAY;
    let delivered: number;
    const late = rng.chance(lateShare * LATE_ADJUST);
    if (late) {
      const lateDays = rng.chance(0.03) ? rng.lognormal(35, 0.6) : rng.exponential(LATE_MEAN_DAYS);
      delivered = estimated + DAY + Math.min(190, lateDays) * DAY + rng.int(DAY);
    } else {
      const median = onTimeMedian.get(state) ?? 8;
      let d = 0;
      for (let t = 0; t < 6; t++) {
        d = purchase + rng.lognormal(median, ONTIME_SIGMA) * DAY;
        if (d < estimated + DAY) break;
      }
      delivered = Math.min(d, estimated + DAY - 1000 - rng.int(DAY / 2));
    }
    let carrier = approved + rng.lognormal(CARRIER_DAYS.median * 0.8, 1.05) * DAY;
    // The carrier needs at least a few hours to deliver: a slow hand-over pushes delivery later.
    if (carrier > delivered - 6 * HOUR) {
      if (rng.chance(0.5)) carrier = approved + (delivered - approved) * rng.uniform(0.2, 0.7);
      else delivered = carrier + rng.lognormal(2, 0.6) * DAY;
    }
    if (rng.chance(ORDER_TRAPS.carrierBeforeApproval)) {
      // Trap: carrier date before approval (about one in eight even before the purchase).
      carrier = rng.chance(0.12) ? purchase - rng.uniform(HOUR, DAY) : approved - (approved - purchase) * rng.float();
    }
    if (rng.chance(CARRIER_DAYS.wholeMinuteShare)) carrier = Math.floor(carrier / 60_000) * 60_000;
    approved = sec(approved);
    carrier = sec(carrier);
    delivered = sec(delivered);

    let a: number | null = approved;
    let c: number | null = carrier;
    let d: number | null = delivered;
    switch (status) {
      case 'delivered':
        if (rng.chance(ORDER_TRAPS.deliveredMissingApproved)) a = null;
        if (rng.chance(ORDER_TRAPS.deliveredMissingCarrier)) c = null;
        if (rng.chance(ORDER_TRAPS.deliveredMissingDelivered)) d = null;
        break;
      case 'shipped':
        d = null;
        break;
      case 'canceled':
        if (rng.chance(ORDER_TRAPS.canceledMissingApproved)) a = null;
        if (!rng.chance(ORDER_TRAPS.canceledWithCarrier)) c = null;
        if (c === null || !rng.chance(ORDER_TRAPS.canceledWithDelivered / ORDER_TRAPS.canceledWithCarrier)) d = null;
        break;
      case 'created':
        a = c = d = null;
        break;
      default: // approved, invoiced, processing, unavailable
        c = d = null;
    }
    w.orders.row([orderId, customerId, status, purchase, a, c, d, estimated]);

    // --- items
    let total = 0;
    const hasItems = !noItemsUrn.get(status)!.draw(rng);
    if (hasItems) {
      const k = itemsUrn.draw(rng);
      const limit = (a ?? purchase) + Number(shipDays.draw(rng)) * DAY;
      let prev = -1;
      let prevFreight = 0;
      for (let j = 1; j <= k; j++) {
        let p: number;
        if (prev >= 0 && rng.chance(MULTI_ITEM.sameProductAsPrevious)) p = prev;
        else if (prev >= 0 && rng.chance(MULTI_ITEM.sameSellerForNewProduct)) p = rng.pick(productsBySeller[products[prev]!.sellerIdx]!);
        else p = pickProduct();
        const prod = products[p]!;
        const seller = sellers[prod.sellerIdx]!;
        let freight: number;
        if (p === prev) freight = prevFreight;
        else if (rng.chance(FREIGHT.zeroShare)) freight = 0;
        else {
          const dist = seller.state === state ? 0.75 : REGION[seller.state] === REGION[state] ? 1 : 1.45;
          const weight = Math.min(5, Math.max(0.6, Math.pow(prod.weightG / 700, 0.3)));
          freight = Math.round(rng.lognormal(FREIGHT_BASE * dist * weight, FREIGHT_SIGMA) * 100) / 100;
        }
        w.items.row([orderId, j, prod.id, seller.id, limit, prod.price, freight]);
        total += prod.price + freight;
        prev = p;
        prevFreight = freight;
        itemsLeft--;
      }
    } else total = Math.round(rng.lognormal(100, 0.8) * 100) / 100;

    // --- payments (in cents, so they add up exactly)
    if (payTypes.length) {
      let cents = Math.round(total * 100);
      // Card interest: payments above items + freight for about 0.3% of all orders.
      if (payTypes[0] === 'credit_card' && rng.chance((1 - PAYMENT_MATCH_SHARE) / SINGLE_PAYMENT_TYPES['credit_card']!)) cents = Math.round(cents * rng.uniform(1.01, 1.12));
      const parts: number[] = [];
      if (payTypes.length === 1) parts.push(cents);
      else {
        let left = cents;
        for (let i = 0; i < payTypes.length - 1; i++) {
          const share = payTypes[i] === 'credit_card' ? rng.uniform(0.4, 0.9) : rng.uniform(0.05, 0.5);
          const v = Math.min(left, Math.round(left * share));
          parts.push(v);
          left -= v;
        }
        parts.push(left);
      }
      payTypes.forEach((t, i) => {
        const inst = t === 'credit_card' ? Number(installments.draw(rng)) : 1;
        w.payments.row([orderId, i + 1, t, inst, t === 'not_defined' ? 0 : parts[i]! / 100]);
      });
    }

    // --- reviews
    const nRev = reviewsUrn.draw(rng);
    for (let r = 0; r < nRev; r++) {
      if (r === 0 && shared.review) {
        const s = shared.review;
        w.reviews.row([s.id, orderId, s.score, s.title, s.message, s.creation, s.answer]);
        continue;
      }
      const cls = d === null || status !== 'delivered' ? 'notDelivered' : d >= estimated + DAY ? 'late' : 'onTime';
      const score = scoreTables[cls].draw(rng) + 1;
      let creation = d !== null
        ? Math.floor(d / DAY) * DAY + (rng.chance(0.07) ? -rng.int(4) : 1) * DAY
        : Math.floor(estimated / DAY) * DAY + (1 + rng.int(4)) * DAY;
      creation += r * (1 + rng.int(6)) * DAY;
      const answerDays = rng.chance(REVIEW_ANSWER_DAYS.slowShare)
        ? rng.lognormal(REVIEW_ANSWER_DAYS.slowMedian, 0.8)
        : rng.lognormal(REVIEW_ANSWER_DAYS.median, REVIEW_ANSWER_DAYS.sigma);
      const answer = sec(creation + Math.max(0.05, answerDays) * DAY);
      const review: SharedReview = {
        id: rng.hexId(), score, title: reviewTitle(rng, score), message: reviewMessage(rng, score),
        creation: rng.chance(REVIEW_MISSING_DATES.creation) ? null : creation,
        answer: rng.chance(REVIEW_MISSING_DATES.answer) ? null : answer,
      };
      w.reviews.row([review.id, orderId, review.score, review.title, review.message, review.creation, review.answer]);
      if (r === 0 && nRev === 1) shared.review = review;
    }
    return status;
  };

  // ---------------------------------------------------------------- the stream of groups
  let g = 0;
  while (groups.left > 0) {
    const kind = groups.draw(rng, (k) => k !== 'returning' || ring.length > 0);
    let cust: Customer;
    if (kind === 'returning' && ring.length > 0) {
      const prev = repeaters.length > 0 && rng.chance(REPEAT_AGAIN) ? rng.pick(repeaters) : ring[rng.int(ring.length)]!;
      if (repeaters.length < 4096) repeaters.push(prev);
      else repeaters[rng.int(4096)] = prev;
      cust = rng.chance(0.9) ? prev : { uniqueId: prev.uniqueId, zip: pickCustomerZip(rng, universe, prev.zip.state) };
    } else cust = newCustomer();
    const size = kind === 'pair' ? 2 : kind === 'triple' ? 3 : 1;
    const purchase = purchaseTime();
    const shared: { review?: SharedReview } = {};
    let status: string | undefined;
    for (let i = 0; i < size; i++) {
      const t = i === 0 ? purchase : purchase + rng.int(20 * 60) * 1000;
      status = writeOrder(cust, t, status, shared);
    }
    remember(cust);
    if (++g % 256 === 0) await flushAll(w);
  }
}

async function flushAll(w: OrderWriters): Promise<void> {
  await Promise.all([w.orders.flushIfFull(), w.customers.flushIfFull(), w.items.flushIfFull(), w.payments.flushIfFull(), w.reviews.flushIfFull()]);
}

/**
 * The catalogs: zip prefixes (with the geolocation points behind them), sellers, products,
 * categories and their translation. Catalogs grow sub-linearly with the scale and are small enough to
 * keep in memory (about 60,000 zip prefixes and 100,000 products at scale 10); the geolocation rows
 * themselves are streamed.
 *
 * With a reference directory holding the real products, sellers and translation files, products and
 * sellers are real rows (a seeded subset below scale 1, all of them plus synthetic extras above) and
 * the seller zip prefixes join the zip universe; otherwise everything is synthetic.
 */
import {
  CATALOG_EXPONENT, CATEGORY_SHARES, CUSTOMER_STATES, GEO, PRICE, PRICE_CENTS, PRODUCT_ATTRS, PRODUCT_TRAPS,
  REAL_VOLUMES, SELLER_STATES, STATE_GEO, UNTRANSLATED_CATEGORIES,
} from './calibration.ts';
import type { CsvFileWriter } from './csvWriter.ts';
import { CAPITAL_ZIP_SHARE, CEP_RANGES, CITIES, FOREIGN_POINTS, STATE_NAMES, stripAccents } from './places.ts';
import { AliasTable, Categorical, Random, Urn } from './random.ts';
import { readRows } from './reader.ts';
import { ENGLISH_CATEGORY } from './translation.ts';

export interface Zip {
  prefix: string;
  state: string;
  /** Proper spelling (accents); files other than geolocation use stripAccents of it. */
  city: string;
  lat: number;
  lng: number;
  /** Geolocation rows for this prefix (0: the prefix is missing from geolocation, a trap). */
  geoRows: number;
}

export interface ZipUniverse {
  zips: Zip[];
  /** Per state: zips present in geolocation and an alias table of their customer popularity. */
  byState: Map<string, { zips: Zip[]; table: AliasTable; ghosts: Zip[] }>;
}

export interface Seller {
  id: string;
  zip: string;
  city: string;
  state: string;
  weight: number;
}

export interface Product {
  /** Values in the products spec column order. */
  row: (string | number | null)[];
  id: string;
  sellerIdx: number;
  price: number;
  weightG: number;
}

export interface Catalog {
  universe: ZipUniverse;
  sellers: Seller[];
  products: Product[];
  /** Product indexes per seller (for multi-item orders from one seller). */
  productsBySeller: number[][];
  translation: [string, string][];
  source: 'reference' | 'synthetic';
}

export const catalogSize = (real: number, scale: number): number =>
  Math.max(1, Math.round(real * Math.pow(scale, CATALOG_EXPONENT)));

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

function pad5(n: number): string {
  return String(n).padStart(5, '0');
}

/** Picks `n` distinct prefixes of a state's CEP ranges not in `used`. */
function samplePrefixes(rng: Random, state: string, n: number, used: Set<string>): string[] {
  const pool: number[] = [];
  for (const [lo, hi] of CEP_RANGES[state] ?? []) for (let p = lo; p <= hi; p++) if (!used.has(pad5(p))) pool.push(p);
  const k = Math.min(n, pool.length);
  // Partial Fisher-Yates: the first k of a random permutation.
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(pool.length - i);
    const t = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = t;
  }
  const out = pool.slice(0, k).sort((a, b) => a - b).map(pad5);
  for (const z of out) used.add(z);
  return out;
}

interface RefSeller { id: string; zip: string; city: string; state: string }

/** Builds the zip prefixes of all states, plus reference seller prefixes, with their geolocation row counts. */
export function buildZipUniverse(rng: Random, scale: number, refSellers: readonly RefSeller[] = []): ZipUniverse {
  const f = Math.pow(scale, CATALOG_EXPONENT);
  const used = new Set<string>();
  const zips: Zip[] = [];
  const cityCenters = new Map<string, [number, number]>();
  const cityCenter = (state: string, city: string, capital: boolean): [number, number] => {
    const key = state + '|' + stripAccents(city);
    let c = cityCenters.get(key);
    if (!c) {
      const g = STATE_GEO[state]!;
      // The capital sits at the state's median point, other cities anywhere in its q05-q95 box.
      c = capital ? [g.lat[1], g.lng[1]] : [rng.uniform(g.lat[0], g.lat[2]), rng.uniform(g.lng[0], g.lng[2])];
      cityCenters.set(key, c);
    }
    return c;
  };
  const makeZip = (prefix: string, state: string, city: string): Zip => {
    const capital = stripAccents(CITIES[state]![0]!) === stripAccents(city);
    const [clat, clng] = cityCenter(state, city, capital);
    const spread = capital ? 0.06 : 0.03;
    return { prefix, state, city, lat: clat + rng.normal() * spread, lng: clng + rng.normal() * spread, geoRows: 1 };
  };
  // Reference seller prefixes first so their spelling and state are the real ones.
  const refCity = new Map<string, Zip>();
  for (const s of refSellers) {
    if (used.has(s.zip) || !STATE_GEO[s.state]) continue;
    used.add(s.zip);
    const z = makeZip(s.zip, s.state, s.city);
    // A few seller prefixes are missing from geolocation, as in the real data.
    if (rng.chance(GEO.sellerZipsMissing)) z.geoRows = 0;
    else refCity.set(s.zip, z);
    zips.push(z);
  }
  const byState = new Map<string, { zips: Zip[]; table: AliasTable; ghosts: Zip[] }>();
  const ghostTotal = Math.round(GEO.customerZipsMissing * f);
  for (const [state, g] of Object.entries(STATE_GEO)) {
    const cities = CITIES[state]!;
    const otherWeights = new AliasTable(cities.slice(1).map((_, i) => 1 / (i + 1)));
    // Reference seller prefixes already present count towards the state's number of prefixes.
    let refInState = 0;
    for (const z of refCity.values()) if (z.state === state) refInState++;
    const n = Math.max(1, Math.round(g.zips * f) - refInState);
    const nGhost = Math.max(1, Math.round(ghostTotal * (CUSTOMER_STATES[state] ?? 0)));
    const prefixes = samplePrefixes(rng, state, n + nGhost, used);
    // Ghosts are picked among the state's prefixes at random, the rest are in geolocation.
    const ghostIdx = new Set<number>();
    while (ghostIdx.size < Math.min(nGhost, prefixes.length - 1)) ghostIdx.add(rng.int(prefixes.length));
    const capitalCut = Math.round(prefixes.length * CAPITAL_ZIP_SHARE);
    const inGeo: Zip[] = [];
    const ghosts: Zip[] = [];
    prefixes.forEach((p, i) => {
      const city = i < capitalCut || cities.length === 1 ? cities[0]! : cities[1 + otherWeights.draw(rng)]!;
      const z = makeZip(p, state, city);
      if (ghostIdx.has(i)) {
        z.geoRows = 0;
        ghosts.push(z);
      } else inGeo.push(z);
      zips.push(z);
    });
    for (const z of refCity.values()) if (z.state === state) inGeo.push(z);
    const popularity = inGeo.map(() => rng.lognormal(1, 1.0));
    byState.set(state, { zips: inGeo, table: new AliasTable(popularity), ghosts });
  }
  // Geolocation rows per prefix: log-normal, then scaled so the total is exact.
  const target = Math.round(REAL_VOLUMES.geolocation * f);
  const present = zips.filter((z) => z.geoRows > 0);
  const raw = present.map(() => clamp(rng.lognormal(GEO.rowsPerZipMedian, GEO.rowsPerZipSigma), 1, GEO.rowsPerZipMax));
  const sum = raw.reduce((a, b) => a + b, 0);
  let total = 0;
  present.forEach((z, i) => {
    z.geoRows = Math.max(1, Math.floor((raw[i]! * target) / sum));
    total += z.geoRows;
  });
  for (let i = 0; total !== target; i = (i + 1) % present.length) {
    const z = present[i]!;
    if (total < target) { z.geoRows++; total++; } else if (z.geoRows > 1) { z.geoRows--; total--; }
  }
  return { zips, byState };
}

/** Picks a customer zip: state by the real mix, then prefix by popularity; rarely one missing from geolocation. */
export function pickCustomerZip(rng: Random, u: ZipUniverse, state: string): Zip {
  const s = u.byState.get(state)!;
  if (s.ghosts.length && rng.chance(GEO.customerRowsZipMissing)) return rng.pick(s.ghosts);
  return s.zips[s.table.draw(rng)]!;
}

/** Streams the geolocation rows: duplicates within a prefix, accent variants, rare points abroad. */
export async function writeGeolocation(rng: Random, u: ZipUniverse, w: CsvFileWriter): Promise<void> {
  const order = rng.shuffle(u.zips.filter((z) => z.geoRows > 0));
  const dupP = GEO.exactDuplicateShare * 1.05;
  const lats: number[] = [];
  const lngs: number[] = [];
  for (const z of order) {
    lats.length = 0;
    lngs.length = 0;
    const plain = stripAccents(z.city);
    const accented = z.city !== plain;
    const longForm = `${plain}, ${stripAccents(STATE_NAMES[z.state]!)}, brasil`;
    for (let r = 0; r < z.geoRows; r++) {
      let lat: number, lng: number;
      if (lats.length && rng.chance(dupP)) {
        const k = rng.int(lats.length);
        lat = lats[k]!;
        lng = lngs[k]!;
      } else if (rng.chance(GEO.outsideBrazilPerRow / (1 - dupP))) {
        const [a, b] = rng.pick(FOREIGN_POINTS);
        lat = a + rng.normal() * 0.05;
        lng = b + rng.normal() * 0.05;
      } else {
        lat = z.lat + rng.normal() * GEO.withinZipSd;
        lng = z.lng + rng.normal() * GEO.withinZipSd;
        lats.push(lat);
        lngs.push(lng);
      }
      const city = rng.chance(GEO.longFormPerRow) ? longForm : accented && rng.chance(GEO.accentedRowShare) ? z.city : plain;
      w.row([z.prefix, lat, lng, city, z.state]);
    }
    await w.flushIfFull();
  }
}

function roundPrice(rng: Random, x: number, cents: Categorical<string>): number {
  const c = cents.draw(rng);
  const whole = Math.max(0, Math.floor(x));
  const v = c === 'other' ? whole + rng.int(100) / 100 : whole + Number(c) / 100;
  return Math.max(PRICE.min, Math.min(PRICE.max, v));
}

function intAttr(rng: Random, a: { median: number; sigma: number; min: number; max: number }): number {
  return Math.round(clamp(rng.lognormal(a.median, a.sigma), a.min, a.max));
}

/** One synthetic product row (spec column order). */
function syntheticProductRow(rng: Random, noCategory: boolean, categories: Categorical<string>, photos: Categorical<string>): (string | number | null)[] {
  const noDims = rng.chance(PRODUCT_TRAPS.noDimensions);
  const a = PRODUCT_ATTRS;
  return [
    rng.hexId(),
    noCategory ? null : categories.draw(rng),
    noCategory ? null : intAttr(rng, a.nameLength),
    noCategory ? null : intAttr(rng, a.descriptionLength),
    noCategory ? null : Number(photos.draw(rng)),
    noDims ? null : intAttr(rng, a.weight),
    noDims ? null : intAttr(rng, a.length),
    noDims ? null : intAttr(rng, a.height),
    noDims ? null : intAttr(rng, a.width),
  ];
}

async function loadReference(dir: string): Promise<{ products: string[][]; sellers: RefSeller[]; translation: [string, string][] }> {
  const products: string[][] = [];
  const sellers: RefSeller[] = [];
  const translation: [string, string][] = [];
  await readRows(dir, 'products', (r) => products.push(r));
  await readRows(dir, 'sellers', (r) => sellers.push({ id: r[0]!, zip: r[1]!, city: r[2]!, state: r[3]! }));
  await readRows(dir, 'category_translation', (r) => translation.push([r[0]!, r[1]!]));
  return { products, sellers, translation };
}

/** Builds every catalog for the given scale; `referenceDir` holds real products/sellers/translation or is undefined. */
export async function buildCatalog(seed: number, scale: number, referenceDir?: string): Promise<Catalog> {
  const rng = new Random(seed, 'catalog');
  const ref = referenceDir ? await loadReference(referenceDir) : undefined;
  const nSellers = catalogSize(REAL_VOLUMES.sellers, scale);
  const nProducts = catalogSize(REAL_VOLUMES.products, scale);

  // Sellers: a seeded subset of the real ones (all of them above scale 1) topped up with synthetic ones.
  const refSellers = ref ? rng.shuffle([...ref.sellers]).slice(0, nSellers) : [];
  const universe = buildZipUniverse(new Random(seed, 'zips'), scale, refSellers);
  const sellers: Seller[] = [];
  const sellerTrap = (z: Zip): Zip => {
    const s = universe.byState.get(z.state);
    return s?.ghosts.length && rng.chance(GEO.sellerZipsMissing) ? rng.pick(s.ghosts) : z;
  };
  for (const s of refSellers) sellers.push({ ...s, weight: rng.lognormal(1, 1.4) });
  const sellerStates = Categorical.fromRecord(SELLER_STATES);
  while (sellers.length < nSellers) {
    const st = sellerStates.draw(rng);
    const z = sellerTrap(pickCustomerZip(rng, universe, st));
    sellers.push({ id: rng.hexId(), zip: z.prefix, city: stripAccents(z.city), state: z.state, weight: rng.lognormal(1, 1.4) });
  }

  // Products: real rows when available, synthetic otherwise; each sold by one seller (every seller has one).
  const categories = Categorical.fromRecord(CATEGORY_SHARES);
  const photos = Categorical.fromRecord(PRODUCT_ATTRS.photos);
  const cents = Categorical.fromRecord(PRICE_CENTS);
  const sellerTable = new AliasTable(sellers.map((s) => s.weight));
  const refProducts = ref ? rng.shuffle([...ref.products]).slice(0, nProducts) : [];
  const products: Product[] = [];
  // Products without category: exactly the real share of the synthetic ones.
  const nSynthetic = nProducts - refProducts.length;
  const noCategory = Math.round(nSynthetic * PRODUCT_TRAPS.noCategory);
  const noCategoryUrn = new Urn([true, false], [noCategory, nSynthetic - noCategory]);
  for (let i = 0; i < nProducts; i++) {
    const row: (string | number | null)[] = refProducts[i] ?? syntheticProductRow(rng, noCategoryUrn.draw(rng), categories, photos);
    const sellerIdx = i < sellers.length ? i : sellerTable.draw(rng);
    const weightG = Number(row[5] ?? '') || PRODUCT_ATTRS.weight.median;
    // Heavier products cost a little more.
    const price = roundPrice(rng, rng.lognormal(PRICE.median, PRICE.sigma) * Math.pow(weightG / 700, 0.08), cents);
    products.push({ row, id: String(row[0]), sellerIdx, price, weightG });
  }
  const productsBySeller: number[][] = sellers.map(() => []);
  products.forEach((p, i) => productsBySeller[p.sellerIdx]!.push(i));

  const untranslated = new Set<string>(UNTRANSLATED_CATEGORIES);
  const translation: [string, string][] = ref
    ? ref.translation
    : Object.keys(CATEGORY_SHARES).filter((c) => !untranslated.has(c)).map((c) => [c, ENGLISH_CATEGORY[c] ?? c]);
  return { universe, sellers, products, productsBySeller, translation, source: ref ? 'reference' : 'synthetic' };
}

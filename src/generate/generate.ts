/**
 * `generateDataset`: writes the nine Olist files of a synthetic dataset at a given scale and seed.
 * Same seed and scale give the same bytes. Generated data is SYNTHETIC: calibrated on aggregate
 * figures of the real files (see calibration.ts and docs/generator.md), not a copy of them.
 */
import { mkdir } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { sourceByName } from '../sources/index.ts';
import { buildCatalog, writeGeolocation } from './catalog.ts';
import { CsvFileWriter, type CsvStyle } from './csvWriter.ts';
import { generateOrders } from './orders.ts';
import { Random } from './random.ts';
import { hasSources } from './reader.ts';

export interface GenerateOptions {
  /** Multiplies the transactional volumes (1 = the real volumes); catalogs grow as sqrt(scale). */
  scale: number;
  seed: number;
  outDir: string;
  /**
   * Directory holding the real products, sellers and translation files to reference. Defaults to
   * OLIST_DATA_DIR when that directory holds them; pass '' to force fully synthetic catalogs.
   */
  referenceDir?: string;
}

export interface GeneratedFile {
  source: string;
  fileName: string;
  rows: number;
  bytes: number;
}

export interface GenerateSummary {
  scale: number;
  seed: number;
  outDir: string;
  synthetic: true;
  /** 'reference' when real products/sellers/translation were used, else 'synthetic'. */
  catalog: 'reference' | 'synthetic';
  files: GeneratedFile[];
  totalRows: number;
  totalBytes: number;
  elapsedMs: number;
}

const REFERENCE_SOURCES = ['products', 'sellers', 'category_translation'] as const;

/** Resolves the reference directory: explicit option (must hold the files), else OLIST_DATA_DIR if it holds them. */
export function resolveReferenceDir(referenceDir: string | undefined): string | undefined {
  if (referenceDir === '') return undefined;
  if (referenceDir !== undefined) {
    if (!hasSources(referenceDir, REFERENCE_SOURCES)) {
      throw new Error(`--reference-dir ${referenceDir} lacks the products, sellers or translation file`);
    }
    return referenceDir;
  }
  const env = process.env['OLIST_DATA_DIR'];
  return hasSources(env, REFERENCE_SOURCES) ? env : undefined;
}

export async function generateDataset(opts: GenerateOptions): Promise<GenerateSummary> {
  const { scale, seed, outDir } = opts;
  if (!Number.isFinite(scale) || scale <= 0) throw new Error(`scale must be a positive number, got ${scale}`);
  if (!Number.isSafeInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  const started = performance.now();
  const referenceDir = resolveReferenceDir(opts.referenceDir);
  await mkdir(outDir, { recursive: true });
  const catalog = await buildCatalog(seed, scale, referenceDir);

  const open = (name: string, style: CsvStyle = 'kaggle'): CsvFileWriter => new CsvFileWriter(sourceByName(name), outDir, style);
  const writers = {
    orders: open('orders'), customers: open('customers'), items: open('order_items'),
    payments: open('order_payments'), reviews: open('order_reviews', 'reviews'),
  };
  const geo = open('geolocation');
  const products = open('products');
  const sellers = open('sellers');
  const translation = open('category_translation', 'translation');

  for (const p of catalog.products) products.row(p.row);
  for (const s of catalog.sellers) sellers.row([s.id, s.zip, s.city, s.state]);
  for (const [pt, en] of catalog.translation) translation.row([pt, en]);
  await writeGeolocation(new Random(seed, 'geolocation'), catalog.universe, geo);
  await generateOrders(seed, scale, catalog, writers);

  const all = [geo, writers.orders, writers.items, writers.reviews, writers.customers, writers.payments, products, sellers, translation];
  await Promise.all(all.map((w) => w.close()));
  const files = all.map((w) => ({ source: w.spec.name, fileName: w.spec.fileName, rows: w.rows, bytes: w.bytes }));
  return {
    scale, seed, outDir, synthetic: true, catalog: catalog.source, files,
    totalRows: files.reduce((t, f) => t + f.rows, 0),
    totalBytes: files.reduce((t, f) => t + f.bytes, 0),
    elapsedMs: Math.round(performance.now() - started),
  };
}

/**
 * A batch of the change feed is one folder of the landing directory holding files in the Kaggle
 * format (same names, same header, read by the same specs and parser) and `manifest.json`. The
 * manifest is written last, by rename, so a folder without one is a batch still being written and
 * is never picked up. Its `checksum` (sha256 of the manifest without that field) is what the ledger
 * records: the same id with another checksum is a changed batch and is refused.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

export const MANIFEST_FILE = 'manifest.json';
export const FEED_FORMAT = 'olist-feed/1';
/** Id of the batch that carries the reference files (geolocation, category translation) before day one. */
export const REFERENCE_BATCH_ID = 'reference';

const fileSchema = z.object({
  name: z.string(),
  source: z.string(),
  rows: z.number().int().min(0),
  bytes: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

const manifestSchema = z.object({
  format: z.literal(FEED_FORMAT),
  batchId: z.string().regex(/^(reference|\d{4}-\d{2}-\d{2}(T\d{2})?|correction-[a-z0-9-]+)$/),
  /** Position in the feed: 0 for the reference batch, then 1, 2, ... per period; null for a correction batch. */
  seq: z.number().int().min(0).nullable(),
  /** The batch that must be applied before this one (gap detection); null for the first and for corrections. */
  previous: z.string().nullable(),
  granularity: z.enum(['day', 'hour']).nullable(),
  /** Start of the period the batch covers (local time, as the data), null for reference and corrections. */
  periodStart: z.string().nullable(),
  files: z.array(fileSchema),
  checksum: z.string().regex(/^[0-9a-f]{64}$/),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestFile = z.infer<typeof fileSchema>;

/** A batch found in the landing directory. */
export interface LandedBatch {
  dir: string;
  manifest: Manifest;
}

/** JSON with object keys sorted at every level: the checksum must not depend on the order a writer put them in. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export function manifestChecksum(m: Omit<Manifest, 'checksum'>): string {
  const { checksum: _ignored, ...rest } = m as Manifest;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/** Writes the manifest last and atomically (temporary name, then rename). */
export async function writeManifest(dir: string, m: Omit<Manifest, 'checksum'>): Promise<Manifest> {
  const manifest: Manifest = { ...m, checksum: manifestChecksum(m) };
  const tmp = path.join(dir, `.${MANIFEST_FILE}.tmp`);
  await fs.writeFile(tmp, JSON.stringify(manifest, null, 2) + '\n');
  await fs.rename(tmp, path.join(dir, MANIFEST_FILE));
  return manifest;
}

export class BatchError extends Error {
  constructor(readonly batchId: string, message: string) {
    super(`batch ${batchId}: ${message}`);
  }
}

export async function readManifest(dir: string): Promise<Manifest> {
  const file = path.join(dir, MANIFEST_FILE);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (err) {
    throw new BatchError(path.basename(dir), `${file} is not readable JSON: ${(err as Error).message}`);
  }
  const result = manifestSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new BatchError(path.basename(dir), `${file}: ${issue.path.join('.')}: ${issue.message}`);
  }
  if (manifestChecksum(result.data) !== result.data.checksum) {
    throw new BatchError(result.data.batchId, `${file}: checksum does not match the manifest's contents`);
  }
  return result.data;
}

/**
 * Every complete batch (a folder with a manifest) of the landing directory, in feed order: the
 * reference batch, then by seq, then corrections by id; folders with the same id keep name order.
 */
export async function listBatches(landingDir: string): Promise<LandedBatch[]> {
  if (!existsSync(landingDir)) return [];
  const entries = await fs.readdir(landingDir, { withFileTypes: true });
  const batches: LandedBatch[] = [];
  for (const e of entries.filter((x) => x.isDirectory()).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const dir = path.join(landingDir, e.name);
    if (!existsSync(path.join(dir, MANIFEST_FILE))) continue; // still being written
    batches.push({ dir, manifest: await readManifest(dir) });
  }
  const rank = (m: Manifest) => (m.seq === null ? Number.MAX_SAFE_INTEGER : m.seq);
  return batches.sort((a, b) => rank(a.manifest) - rank(b.manifest) || (a.manifest.batchId < b.manifest.batchId ? -1 : a.manifest.batchId > b.manifest.batchId ? 1 : 0));
}

export async function sha256File(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** Checks that every file of the manifest is there with its size and hash (a cut transfer fails here). */
export async function verifyBatchFiles(batch: LandedBatch): Promise<void> {
  for (const f of batch.manifest.files) {
    const file = path.join(batch.dir, f.name);
    if (!existsSync(file)) throw new BatchError(batch.manifest.batchId, `${f.name} is listed in the manifest but missing from ${batch.dir}`);
    const got = await sha256File(file);
    if (got.bytes !== f.bytes || got.sha256 !== f.sha256) {
      throw new BatchError(
        batch.manifest.batchId,
        `${file} does not match its manifest (${got.bytes} bytes, manifest says ${f.bytes}; sha256 ${got.sha256.slice(0, 12)}.. vs ${f.sha256.slice(0, 12)}..): truncated or changed in transit, nothing applied`,
      );
    }
  }
}

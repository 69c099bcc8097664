/** Shared helpers of the generator tests. */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The real Kaggle files, when this machine has them (env OLIST_REAL_DATA_DIR or the shared copy). */
export function realDataDir(): string | undefined {
  const dir = process.env['OLIST_REAL_DATA_DIR'] ?? '/work/shared/data/olist';
  return existsSync(join(dir, 'olist_orders_dataset.csv')) ? dir : undefined;
}
export const SKIP_NO_REAL = 'real Olist files absent (set OLIST_REAL_DATA_DIR or provide /work/shared/data/olist)';

export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `olist-gen-test-${label}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** sha256 of every file of a directory, by file name. */
export function checksums(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir).sort()) out[f] = createHash('sha256').update(readFileSync(join(dir, f))).digest('hex');
  return out;
}

import path from 'node:path';
import { existsSync } from 'node:fs';
import type { Config } from '../config.ts';
import { SourceFileError } from '../ingest/errors.ts';
import { missingSourceFiles } from '../ingest/ingest.ts';
import type { Logger } from '../log.ts';

export interface DataLocation {
  dataDir: string;
  generated: boolean;
  /** Why the data came from the generator, in plain words for the summary. */
  note?: string;
}

/**
 * Finds the data to load: OLIST_DATA_DIR when it holds the nine Kaggle files; otherwise a synthetic
 * dataset of OLIST_GENERATE_SCALE generated once under OLIST_HOME (and reused by later runs).
 */
export async function locateData(
  config: Config,
  log: Logger,
  say: (line: string) => void,
  opts: { allowGenerated: boolean },
): Promise<DataLocation> {
  const missing = missingSourceFiles(config.dataDir);
  if (missing.length === 0) return { dataDir: config.dataDir, generated: false };
  if (!opts.allowGenerated) {
    // Production paths (ingest, the Airflow DAG, run --no-generate) must never publish synthetic data.
    throw new SourceFileError(missing[0]!, `file not found in ${config.dataDir} (missing: ${missing.join(', ')})`);
  }
  const dir = path.join(config.home, 'generated', `scale-${config.generateScale}-seed-${config.generateSeed}`);
  const note =
    `${config.dataDir} does not hold the ${missing.length === 9 ? 'nine Kaggle files' : `Kaggle file(s) ${missing.join(', ')}`}: ` +
    `using SYNTHETIC data generated at scale ${config.generateScale} (seed ${config.generateSeed}) in ${dir}. ` +
    'Put the real files in OLIST_DATA_DIR to load the real dataset.';
  say(note);
  if (missingSourceFiles(dir).length > 0 || !existsSync(path.join(dir, '.complete'))) {
    log.info({ step: 'generate', dir, scale: config.generateScale }, 'generating demo dataset');
    const { generateDataset } = await import('../generate/generate.ts');
    await generateDataset({ scale: config.generateScale, seed: config.generateSeed, outDir: dir });
    const fs = await import('node:fs/promises');
    await fs.writeFile(path.join(dir, '.complete'), new Date().toISOString());
  }
  return { dataDir: dir, generated: true, note };
}

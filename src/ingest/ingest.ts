import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ident, type Pool } from '../db/connection.ts';
import { markStaged, markStagedSql } from '../db/staged.ts';
import { throwIfInterrupted } from '../db/interrupt.ts';
import type { Logger } from '../log.ts';
import { SOURCES, type SourceSpec } from '../sources/index.ts';
import { SourceFileError } from './errors.ts';
import { cascadeQuarantine } from './cascade.ts';
import { quarantineDuplicateKeys } from './duplicates.ts';
import { fewAtATime } from './fewAtATime.ts';
import { loadFile, type CsvPath, type FileLoadResult, type RejectedRow } from './loadFile.ts';
import { prestartParseWorkers } from './parseWorkers.ts';
import { createVersionsTable, RAW_ANALYZE_TARGET_SQL, rawTableDdl } from './rawTable.ts';

export const RAW_SCHEMA = 'raw';
export const RAW_BUILD_SCHEMA = 'raw_build';

export interface IngestOptions {
  runId: number;
  dataDir: string;
  log: Logger;
  /** Files loaded at the same time (each on its own connection). */
  concurrency?: number;
  sources?: readonly SourceSpec[];
  /** Schema to load into (default raw_build); it is dropped and created anew. */
  schema?: string;
  /** Record each file in audit.file_loads (a feed batch records its counts in its ledger entry instead). */
  recordLoads?: boolean;
  /**
   * Quarantine repeated keys (default). A feed batch turns it off: two rows with one key there are
   * two versions of the row, and the merge keeps the newest (src/feed/merge.ts).
   */
  resolveDuplicates?: boolean;
  /**
   * Start a parse thread while the schema is reset (default): the Kaggle reviews file always needs
   * one. A feed batch, whose files the server's CSV parser takes, starts one only if a file needs it.
   */
  prestartWorkers?: boolean;
  /** `streaming` loads every file through the streaming validator (see loadFile); default: the server's CSV parser when it can. */
  csvPath?: CsvPath;
  onFileStart?: (spec: SourceSpec, bytes: number) => void;
  onProgress?: (spec: SourceSpec, bytes: number) => void;
  onFileDone?: (result: FileLoadResult) => void;
}

/** The Kaggle file names missing from a directory (all nine are needed for a run). */
export function missingSourceFiles(dataDir: string, sources: readonly SourceSpec[] = SOURCES): string[] {
  return sources.filter((s) => !existsSync(path.join(dataDir, s.fileName))).map((s) => s.fileName);
}

/**
 * Loads every source file into the `raw_build` schema, each file in its own transaction so they
 * can load in parallel (a table created and filled in one transaction also skips WAL). The live
 * `raw` schema is untouched until `publishRaw` swaps it in. Row accounting and quarantined rows are
 * written to audit whatever happens later, so a failed run still explains itself.
 */
export async function ingestToBuild(pool: Pool, opts: IngestOptions): Promise<FileLoadResult[]> {
  const sources = opts.sources ?? SOURCES;
  const missing = missingSourceFiles(opts.dataDir, sources);
  if (missing.length > 0) {
    throw new SourceFileError(missing[0]!, `file not found in ${opts.dataDir} (missing: ${missing.join(', ')})`);
  }
  const concurrency = Math.max(1, opts.concurrency ?? 2);
  // A file the server's CSV parser cannot take parses on a worker thread (loadFile): start one while
  // the schema is being reset (the Kaggle reviews file always needs it; a second one starts if needed).
  if (opts.csvPath === 'streaming') prestartParseWorkers(Math.min(concurrency, sources.length));
  else if (opts.prestartWorkers !== false) prestartParseWorkers(1);
  const target = opts.schema ?? RAW_BUILD_SCHEMA;
  const schema = ident(target);
  await pool.query(`drop schema if exists ${schema} cascade; create schema ${schema}; ${markStagedSql(target, false, opts.runId)}`);
  const results: FileLoadResult[] = [];
  await fewAtATime(sources, concurrency, async (spec) => {
    const result = await loadOne(pool, spec, opts);
    results.push(result);
    opts.onFileDone?.(result);
  }).catch(async (err: unknown) => {
    // A partly loaded raw layer must not stay staged for a later transform/publish.
    await pool.query(`drop schema if exists ${schema} cascade`).catch(() => undefined);
    throw err;
  });
  throwIfInterrupted();
  // Duplicate keys where the key must be unique: exact copies kept once, conflicting ones all
  // quarantined. Then rows whose parent row was quarantined cannot load either: quarantine them
  // too (and say why).
  const phase = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const out = await fn();
    opts.log.info({ step: 'ingest', ms: Math.round(performance.now() - started) }, what);
    return out;
  };
  const duplicates = opts.resolveDuplicates === false
    ? new Map<string, number>()
    : await phase('duplicate keys quarantined', () => quarantineDuplicateKeys(pool, opts.runId, sources, target, concurrency));
  const orphans = await phase('orphans quarantined', () => cascadeQuarantine(pool, opts.runId, sources, target));
  for (const moved of [duplicates, orphans]) {
    for (const r of results) {
      const n = moved.get(r.source) ?? 0;
      r.rowsLoaded -= n;
      r.rowsRejected += n;
    }
  }
  // The history of the versioned sources starts as the file (each row valid since the beginning).
  await phase('version histories created', async () => {
    for (const spec of sources) await createVersionsTable(pool, spec, target);
  });
  // Only now may transform, check --staged and publish use the staged raw layer.
  await markStaged(pool, target, true, opts.runId);
  // Keep the declared order so summaries and audit rows read the same on every run.
  return sources.map((s) => results.find((r) => r.source === s.name)!);
}

async function loadOne(pool: Pool, spec: SourceSpec, opts: IngestOptions): Promise<FileLoadResult> {
  throwIfInterrupted();
  const filePath = path.join(opts.dataDir, spec.fileName);
  const log = opts.log.child({ step: 'ingest', file: spec.fileName });
  const schema = opts.schema ?? RAW_BUILD_SCHEMA;
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('begin');
    await client.query(rawTableDdl(spec, schema));
    const { size } = await stat(filePath);
    opts.onFileStart?.(spec, size);
    const sink = (rows: RejectedRow[]) => quarantine(pool, opts.runId, spec, rows);
    const result = await loadFile(client, spec, filePath, schema, sink, {
      runId: opts.runId,
      csvPath: opts.csvPath,
      restart: async () => {
        await client.query('rollback');
        await client.query('begin');
        await client.query(rawTableDdl(spec, schema));
      },
      onProgress: (b) => opts.onProgress?.(spec, b),
    });
    await client.query(RAW_ANALYZE_TARGET_SQL);
    await client.query(`analyze ${ident(schema)}.${ident(spec.name)}`);
    await client.query('commit');
    if (opts.recordLoads !== false) await recordFileLoad(pool, opts.runId, result);
    log.info(
      {
        rows_read: result.rowsRead, rows_loaded: result.rowsLoaded, rows_rejected: result.rowsRejected, ms: result.durationMs,
        csv_path: result.csvPath, ...(result.streamingBecause ? { streaming_because: result.streamingBecause } : {}),
        ...(result.exactChecksBecause ? { exact_checks_because: result.exactChecksBecause } : {}),
        ...(result.requotedRecords ? { requoted_records: result.requotedRecords } : {}),
      },
      'file loaded',
    );
    return result;
  } catch (err) {
    // The connection may be mid-COPY: close it rather than wait for it to take a rollback (the
    // server rolls the transaction back when the session ends), so a failing or stopped file
    // never waits on its own connection.
    broken = err as Error;
    throw err;
  } finally {
    client.release(broken);
  }
}

async function recordFileLoad(pool: Pool, runId: number, r: FileLoadResult): Promise<void> {
  await pool.query(
    `insert into audit.file_loads (run_id, source, file_name, file_bytes, file_sha256, rows_read, rows_loaded, rows_rejected, duration_ms)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [runId, r.source, r.fileName, r.fileBytes, r.fileSha256, r.rowsRead, r.rowsLoaded, r.rowsRejected, r.durationMs],
  );
}

/** Writes a batch of quarantined rows (on a pool connection: the file's own is busy with COPY). */
async function quarantine(pool: Pool, runId: number, spec: SourceSpec, rows: RejectedRow[]): Promise<void> {
  // A stopped job writes nothing more (a write started now would escape the cancel of running queries).
  throwIfInterrupted();
  await pool.query(
    `insert into audit.rejected_rows (run_id, source, file_name, line, column_name, value, reason, record, record_key)
     select $1, $2, $3, * from unnest($4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])`,
    [
      runId, spec.name, spec.fileName,
      rows.map((x) => x.line), rows.map((x) => x.column), rows.map((x) => x.value),
      rows.map((x) => x.reason), rows.map((x) => x.record), rows.map((x) => x.key),
    ],
  );
}

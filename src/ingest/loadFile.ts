import fs from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import type { Worker } from 'node:worker_threads';
import { from as copyFrom } from 'pg-copy-streams';
import type { Client } from '../db/connection.ts';
import type { SourceSpec } from '../sources/index.ts';
import { InterruptedError, onInterrupt } from '../db/interrupt.ts';
import { SourceFileError } from './errors.ts';
import { copyStatement } from './rawTable.ts';
import { loadWithServerCsv } from './serverCsv.ts';
import type { RejectSink } from './recordsToCopy.ts';
import { acquireParseWorker, releaseParseWorker } from './parseWorkers.ts';
import { fromFileErrorData, type FromWorker, type ParseCounts, type ParseJob, type ToWorker } from './workerProtocol.ts';

export type { RejectedRow, RejectSink } from './recordsToCopy.ts';

export interface FileLoadResult {
  source: string;
  fileName: string;
  fileBytes: number;
  fileSha256: string;
  rowsRead: number;
  rowsLoaded: number;
  rowsRejected: number;
  durationMs: number;
  /** Which way the file went in, and why not the server's way when it did not. */
  csvPath: CsvPath;
  streamingBecause?: string;
  /**
   * The cheap tests of the valid rows let through a value a cast refused (the error), so the file
   * was read a second time with the exact checks: right, but slower; a clean file never does.
   */
  exactChecksBecause?: string;
  /**
   * Records with a quote inside an unquoted field, which PostgreSQL would have read differently,
   * passed to it requoted (csvShape.ts): the file stayed on the server path.
   */
  requotedRecords?: number;
}

/**
 * COPY chunks (~0.5-1.5 MB of text each) a parse worker may send before PostgreSQL has taken the
 * earlier ones: enough to keep the socket busy, few enough that memory stays flat.
 */
const CREDITS = 4;

/** Which way a file went in (serverCsv.ts, or the streaming validator of parseWorker.ts). */
export type CsvPath = 'server' | 'streaming';

export interface LoadFileOptions {
  /** Quarantined rows of the server path are written under this run. */
  runId: number;
  /** `streaming` skips the server path (the equivalence tests compare both). Default: server, falling back. */
  csvPath?: CsvPath;
  /**
   * Rolls the file's transaction back and starts a fresh one with the raw table created again
   * (and empty): what a declined server path leaves is undone before the next way in.
   */
  restart: () => Promise<void>;
  onProgress?: (bytes: number) => void;
}

/**
 * Loads one CSV file into `schema.<spec.name>`: by PostgreSQL's own CSV parser with the validation
 * in SQL when it can give the same result (serverCsv.ts), else streamed through a parse worker.
 * Both quarantine the same rows with the same line, column, value and reason.
 */
export async function loadFile(
  client: Client,
  spec: SourceSpec,
  filePath: string,
  schema: string,
  sink: RejectSink,
  opts: LoadFileOptions,
): Promise<FileLoadResult> {
  const started = performance.now();
  const stat = await fs.stat(filePath).catch(() => {
    throw new SourceFileError(spec.fileName, `file not found at ${filePath}`);
  });
  // Progress of a file that falls back is reported once: the second read only counts past the first.
  let reported = 0;
  let read = 0;
  const progress = (bytes: number) => {
    read += bytes;
    if (read > reported) opts.onProgress?.(read - reported);
    reported = Math.max(reported, read);
  };
  let streamingBecause: string | undefined = 'asked for';
  if (opts.csvPath !== 'streaming') {
    // Undoes a declined attempt. If even that fails (the connection is gone), the file fails with
    // the reason the attempt stopped, named against the file.
    const restart = async (why: string) => {
      await opts.restart().catch((err: Error) => {
        throw Object.assign(new SourceFileError(spec.fileName, why), { cause: err });
      });
      read = 0;
    };
    let server = await loadWithServerCsv(client, spec, filePath, schema, opts.runId, progress);
    let exactChecksBecause: string | undefined;
    if ('declined' in server && server.retryExact) {
      // A cast refused what the cheap guards let through: the exact checks quarantine it.
      exactChecksBecause = server.declined;
      await restart(server.declined);
      server = await loadWithServerCsv(client, spec, filePath, schema, opts.runId, progress, true);
    }
    if (!('declined' in server)) {
      return {
        ...result(spec, stat.size, server, started, 'server'),
        ...(exactChecksBecause ? { exactChecksBecause } : {}),
        ...(server.requotedRecords ? { requotedRecords: server.requotedRecords } : {}),
      };
    }
    streamingBecause = server.declined;
    await restart(server.declined);
  }
  const counts = await streamFile(client, spec, filePath, schema, sink, progress);
  return { ...result(spec, stat.size, counts, started, 'streaming'), streamingBecause };
}

function result(spec: SourceSpec, fileBytes: number, counts: ParseCounts, started: number, csvPath: CsvPath): FileLoadResult {
  return {
    source: spec.name,
    fileName: spec.fileName,
    fileBytes,
    fileSha256: counts.sha256,
    rowsRead: counts.rowsRead,
    rowsLoaded: counts.rowsLoaded,
    rowsRejected: counts.rowsRejected,
    durationMs: Math.round(performance.now() - started),
    csvPath,
  };
}

/**
 * Streams one CSV file into `schema.<spec.name>` with COPY. The file is read, parsed, validated
 * and turned into COPY text by a worker thread (parseWorker.ts), so files loading at the same time
 * parse on different cores; this thread only writes the worker's chunks to the COPY stream and
 * hands quarantined rows to `sink`. Memory stays flat: a few chunks and one reject batch at most.
 */
async function streamFile(
  client: Client,
  spec: SourceSpec,
  filePath: string,
  schema: string,
  sink: RejectSink,
  onProgress: (bytes: number) => void,
): Promise<ParseCounts> {
  const worker = acquireParseWorker();
  let clean = false;
  try {
    const copy = client.query(copyFrom(copyStatement(spec, schema)));
    const job: ParseJob = { spec, filePath, credits: CREDITS };
    const counts = await forwardToCopy(worker, job, copy, sink, onProgress);
    clean = true;
    return counts;
  } finally {
    // After a failure the worker may still be parsing, or be mid-protocol: it is ended, not reused.
    releaseParseWorker(worker, clean);
  }
}

type CopyStream = ReturnType<typeof copyFrom>;

/**
 * Runs one parse job on the worker and relays its messages until the COPY has completed: chunks to
 * the COPY stream (a credit goes back once each is written), reject batches to the sink
 * (acknowledged once saved), progress to the callback. A failure anywhere aborts the COPY
 * (CopyFail), so the caller can roll back.
 */
function forwardToCopy(
  worker: Worker,
  job: ParseJob,
  copy: CopyStream,
  sink: RejectSink,
  onProgress?: (bytes: number) => void,
): Promise<ParseCounts> {
  const fileName = job.spec.fileName;
  return new Promise((resolve, reject) => {
    let settled = false;
    const tell = (m: ToWorker) => worker.postMessage(m);
    const stopListening = () => {
      stopOnInterrupt();
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      stopListening();
      copy.destroy(err);
      reject(err);
    };
    const succeed = (counts: ParseCounts) => {
      if (settled) return;
      settled = true;
      stopListening();
      resolve(counts);
    };
    // A stop request fails the file at once, whatever the worker or the database is doing (a
    // query that escaped the cancel must not keep the job alive).
    const stopOnInterrupt = onInterrupt((why) => fail(new InterruptedError(`stopped: ${why}`)));
    // As before the worker split: any failure while loading the file is reported against the file.
    const fileError = (err: Error) => (err instanceof SourceFileError ? err : new SourceFileError(fileName, err.message));
    const onError = (err: Error) => fail(new Error(`${fileName}: the parse worker failed: ${err.message}`, { cause: err }));
    const onExit = (code: number) => fail(new Error(`${fileName}: the parse worker stopped unexpectedly (exit code ${code})`));
    const onMessage = (m: FromWorker) => {
      if (settled) return;
      switch (m.type) {
        case 'copy':
          copy.write(Buffer.from(m.data), (err) => {
            if (!err && !settled) tell({ type: 'credit' });
          });
          break;
        case 'progress':
          onProgress?.(m.bytes);
          break;
        case 'rejects':
          sink(m.rows).then(() => settled || tell({ type: 'rejectsSaved' }), (err: Error) => fail(fileError(err)));
          break;
        case 'failed':
          fail(fromFileErrorData(m.error));
          break;
        case 'done': {
          const { type: _, ...counts } = m;
          // Every chunk has been written (and its credit sent) once the COPY has finished.
          copy.end();
          finished(copy).then(() => succeed(counts), (err: Error) => fail(fileError(err)));
          break;
        }
      }
    };
    copy.on('error', (err) => fail(fileError(err)));
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    tell({ type: 'parse', job });
  });
}

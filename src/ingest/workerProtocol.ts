import type { SourceSpec } from '../sources/index.ts';
import { SourceFileError } from './errors.ts';
import type { RejectedRow } from './recordsToCopy.ts';

/**
 * The messages between loadFile (main thread) and a parseWorker thread, which parses one file at a
 * time: a `parse` job, then its chunks, progress and reject batches, and finally `done` or `failed`.
 *
 * Flow control: the worker may have at most `credits` COPY chunks unacknowledged; the main thread
 * returns one credit per chunk once the COPY stream has handed it to the socket. A batch of
 * quarantined rows waits for `rejectsSaved`, as the in-thread sink did. A worker is given its next
 * job only after the COPY of the previous one completed, so every credit of a job reaches the
 * worker before the next job does.
 */
export interface ParseJob {
  spec: SourceSpec;
  filePath: string;
  /** COPY chunks the worker may send ahead of the COPY stream. */
  credits: number;
}

export type ToWorker = { type: 'parse'; job: ParseJob } | { type: 'credit' } | { type: 'rejectsSaved' };

export interface ParseCounts {
  rowsRead: number;
  rowsLoaded: number;
  rowsRejected: number;
  sha256: string;
}

export type FromWorker =
  /** UTF-8 COPY text, whole rows only; the ArrayBuffer is transferred, not copied. */
  | { type: 'copy'; data: ArrayBuffer }
  /** Bytes of the file read since the last progress message. */
  | { type: 'progress'; bytes: number }
  | { type: 'rejects'; rows: RejectedRow[] }
  | ({ type: 'done' } & ParseCounts)
  | { type: 'failed'; error: FileErrorData };

/** A SourceFileError as plain data (class instances lose their class crossing threads). */
export interface FileErrorData {
  file: string;
  problem: string;
  line?: number;
  column?: string;
}

/**
 * What went wrong with the file, as the caller sees it: a SourceFileError as is; anything else
 * (e.g. a read error) under the file's name, with csv-parse's line count when it has one.
 */
export function toFileErrorData(err: unknown, fileName: string): FileErrorData {
  if (err instanceof SourceFileError) return { file: err.file, problem: err.problem, line: err.line, column: err.column };
  const e = err as Error & { lines?: number };
  return { file: fileName, problem: e.message, line: e.lines };
}

export function fromFileErrorData(d: FileErrorData): SourceFileError {
  return new SourceFileError(d.file, d.problem, d.line, d.column);
}

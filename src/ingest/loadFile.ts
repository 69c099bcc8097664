import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse, type CsvError } from 'csv-parse';
import { from as copyFrom } from 'pg-copy-streams';
import type { Client } from '../db/connection.ts';
import type { SourceSpec } from '../sources/index.ts';
import { SourceFileError } from './errors.ts';
import { mapHeader } from './header.ts';
import { copyStatement } from './rawTable.ts';
import { compileRowValidator, isRejection, type RowValidator } from './validate.ts';

export interface RejectedRow {
  line: number;
  column: string | null;
  value: string | null;
  reason: string;
  record: string;
  /** The row's natural key ('|'-joined), when the header was read; lets children cascade. */
  key: string | null;
}

/** Where quarantined rows go, in batches, while the file streams (memory stays flat). */
export type RejectSink = (rows: RejectedRow[]) => Promise<void>;

export interface FileLoadResult {
  source: string;
  fileName: string;
  fileBytes: number;
  fileSha256: string;
  rowsRead: number;
  rowsLoaded: number;
  rowsRejected: number;
  durationMs: number;
}

/** Quarantined rows are handed to the sink in batches of this size. */
const REJECT_BATCH = 5_000;
/** COPY data is sent in chunks of about this size. */
const COPY_CHUNK = 256 * 1024;

function lineBreaksIn(record: readonly string[]): number {
  let n = 0;
  for (const field of record) {
    for (let i = field.indexOf('\n'); i !== -1; i = field.indexOf('\n', i + 1)) n++;
  }
  return n;
}

/**
 * Validates parsed records against the spec and turns them into COPY text, in large chunks.
 * The first record is the header. Invalid rows are set aside with their line and reason.
 */
class RecordsToCopy extends Transform {
  private validator: RowValidator | undefined;
  private fieldIndex: number[] = [];
  private width = 0;
  private buffer = '';
  private previousEndLine = 0;
  rowsRead = 0;
  rowsLoaded = 0;
  private rejected: RejectedRow[] = [];
  private keyIndex: number[] = [];
  rowsRejected = 0;

  constructor(
    private readonly spec: SourceSpec,
    private readonly fileName: string,
    private readonly sink: RejectSink,
  ) {
    super({ writableObjectMode: true, readableObjectMode: false, writableHighWaterMark: 256 });
  }

  override _transform(record: string[], _enc: BufferEncoding, done: TransformCallback): void {
    // A record starts on the line after the previous one ends and spans the line breaks inside its
    // quoted fields. (csv-parse's own line counter counts a CRLF inside quotes twice.)
    const line = this.previousEndLine + 1;
    this.previousEndLine = line + lineBreaksIn(record);
    try {
      if (!this.validator) {
        this.fieldIndex = mapHeader(this.spec, record, this.fileName);
        this.keyIndex = this.spec.primaryKey.map((k) => this.fieldIndex[this.spec.columns.findIndex((c) => c.name === k)]!);
        this.width = record.length;
        this.validator = compileRowValidator(this.spec, this.fieldIndex);
        return done();
      }
      this.rowsRead++;
      if (record.length !== this.width) {
        return this.reject(line, null, null, `expected ${this.width} fields, found ${record.length}`, record, done);
      }
      const out = this.validator(record);
      if (isRejection(out)) {
        if (out.value.includes('\uFFFD')) {
          throw new SourceFileError(this.fileName, 'wrong encoding: the file is not valid UTF-8', line, out.column);
        }
        return this.reject(line, out.column, out.value, out.reason, record, done);
      }
      if (out.includes('\uFFFD')) {
        // Invalid UTF-8 bytes were decoded as U+FFFD: name the column so the user can find them.
        const column = this.spec.columns.find((_, i) => record[this.fieldIndex[i]!]?.includes('\uFFFD'));
        throw new SourceFileError(this.fileName, 'wrong encoding: the file is not valid UTF-8', line, column?.name);
      }
      this.rowsLoaded++;
      this.buffer += `${out}\t${line}\n`;
      if (this.buffer.length >= COPY_CHUNK) {
        this.push(this.buffer);
        this.buffer = '';
      }
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    if (!this.validator) return done(new SourceFileError(this.fileName, 'the file is empty (no header)', 1));
    if (this.buffer) this.push(this.buffer);
    this.buffer = '';
    this.flushRejects().then(() => done(), done);
  }

  private flushRejects(): Promise<void> {
    if (this.rejected.length === 0) return Promise.resolve();
    const batch = this.rejected;
    this.rejected = [];
    return this.sink(batch);
  }

  /** A record the parser could not read (e.g. an unterminated quote): quarantined, not fatal. */
  rejectUnparsable(err: CsvError): void {
    const line = this.previousEndLine + 1;
    const record = Array.isArray(err.record) ? (err.record as string[]) : [];
    this.previousEndLine = line + lineBreaksIn(record);
    this.rowsRead++;
    // Called from the parser's 'skip' event, outside the stream's flow: the batch flushes later.
    this.reject(line, null, null, `unparsable CSV record: ${err.message}`, record);
  }

  /** Sets a row aside; with `done`, waits for a full batch to reach the sink (backpressure). */
  private reject(line: number, column: string | null, value: string | null, reason: string, record: readonly string[], done?: TransformCallback): void {
    this.rowsRejected++;
    const key = this.keyIndex.length && this.keyIndex.every((i) => record[i]) ? this.keyIndex.map((i) => record[i]).join('|') : null;
    this.rejected.push({ line, column, value, reason, record: JSON.stringify(record), key });
    if (!done) return;
    if (this.rejected.length < REJECT_BATCH) return done();
    this.flushRejects().then(() => done(), done);
  }
}

/**
 * Streams one CSV file through the parser and validator into `schema.<spec.name>` with COPY.
 * Memory stays flat: only a chunk of COPY text and the quarantined rows are held.
 */
export async function loadFile(
  client: Client,
  spec: SourceSpec,
  filePath: string,
  schema: string,
  sink: RejectSink,
  onProgress?: (bytes: number) => void,
): Promise<FileLoadResult> {
  const started = performance.now();
  const stat = await fs.stat(filePath).catch(() => {
    throw new SourceFileError(spec.fileName, `file not found at ${filePath}`);
  });
  const hash = createHash('sha256');
  const input = createReadStream(filePath, { highWaterMark: 1024 * 1024 });
  input.on('data', (chunk) => {
    hash.update(chunk as Buffer);
    onProgress?.((chunk as Buffer).length);
  });
  const toCopy = new RecordsToCopy(spec, spec.fileName, sink);
  const parser = parse({
    bom: true,
    // A quote inside an unquoted field is kept as a character; the row then stands or falls on
    // validation (the reviews file has one such record, which fails its date columns).
    relax_quotes: true,
    // Field-count mismatches are checked by us, so the row is quarantined with its line.
    relax_column_count: true,
    skip_records_with_error: true,
    encoding: 'utf8',
  });
  parser.on('skip', (err: CsvError) => toCopy.rejectUnparsable(err));
  const copy = client.query(copyFrom(copyStatement(spec, schema)));
  try {
    await pipeline(input, parser, toCopy, copy);
  } catch (err) {
    if (err instanceof SourceFileError) throw err;
    const e = err as Error & { code?: string; lines?: number };
    throw new SourceFileError(spec.fileName, e.message, e.lines);
  }
  return {
    source: spec.name,
    fileName: spec.fileName,
    fileBytes: stat.size,
    fileSha256: hash.digest('hex'),
    rowsRead: toCopy.rowsRead,
    rowsLoaded: toCopy.rowsLoaded,
    rowsRejected: toCopy.rowsRejected,
    durationMs: Math.round(performance.now() - started),
  };
}

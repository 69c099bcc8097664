import { Transform, type TransformCallback } from 'node:stream';
import type { CsvError } from 'csv-parse';
import type { SourceSpec } from '../sources/index.ts';
import { SourceFileError } from './errors.ts';
import { mapHeader } from './header.ts';
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

/** Quarantined rows are handed to the sink in batches of this size. */
const REJECT_BATCH = 5_000;
/** COPY text is pushed in chunks of about this many characters (one worker-to-main message each). */
const COPY_CHUNK = 512 * 1024;

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
export class RecordsToCopy extends Transform {
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
      if (record.length === 1 && record[0] === '') {
        // A blank line (typically at the end of the file) is not a record: neither read nor rejected.
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
    if (this.rowsRead === 0) {
      // A delivery with a header and no rows is a broken export, never "no data today".
      return done(new SourceFileError(this.fileName, 'the file has a header but no rows: an empty delivery is refused', 2));
    }
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

  /**
   * A record the parser could not read. An unterminated quote can only end at the end of the file
   * (the quoted field swallows everything after it), so the file is truncated: that is returned as
   * a SourceFileError for the caller to fail the file with. Any other unparsable record is
   * quarantined.
   */
  rejectUnparsable(err: CsvError): SourceFileError | undefined {
    const line = this.previousEndLine + 1;
    if (err.code === 'CSV_QUOTE_NOT_CLOSED') {
      return new SourceFileError(
        this.fileName,
        'truncated file: the quoted field opened in the record starting on this line is never closed (the file ends inside a record)',
        line,
      );
    }
    const record = Array.isArray(err.record) ? (err.record as string[]) : [];
    this.previousEndLine = line + lineBreaksIn(record);
    this.rowsRead++;
    // Called from the parser's 'skip' event, outside the stream's flow: the batch flushes later.
    this.reject(line, null, null, `unparsable CSV record: ${err.message}`, record);
    return undefined;
  }

  /** Sets a row aside; with `done`, waits for a full batch to reach the sink (backpressure). */
  private reject(line: number, column: string | null, value: string | null, reason: string, record: readonly string[], done?: TransformCallback): void {
    this.rowsRejected++;
    const key = this.keyIndex.length && this.keyIndex.every((i) => record[i]) ? this.keyIndex.map((i) => record[i]).join('|') : null;
    // PostgreSQL text cannot hold NUL: show it as \0 in the quarantine (JSON already escapes it).
    this.rejected.push({ line, column, value: value?.replaceAll('\0', '\\0') ?? null, reason, record: JSON.stringify(record), key: key?.replaceAll('\0', '') ?? null });
    if (!done) return;
    if (this.rejected.length < REJECT_BATCH) return done();
    this.flushRejects().then(() => done(), done);
  }
}

/**
 * Writes one source file in the byte format of the Kaggle files, driven by the column types of its
 * SourceSpec (file name and header come from the spec, never repeated here).
 *
 * Kaggle conventions (see /work/shared/data/olist/README.md):
 * - 'kaggle' (all files but two): LF line endings, header fields quoted, string values quoted only
 *   when they look numeric (ids starting with a digit, zip prefixes, a title like "10") or contain a
 *   comma, quote or line break; numbers unquoted; money with two decimals; empty field for missing.
 * - 'reviews': as 'kaggle' but ids always quoted and CRLF line endings (line breaks inside comments
 *   are CRLF too).
 * - 'translation': UTF-8 byte-order mark, CRLF, no quotes at all.
 *
 * Rows are UTF-8 encoded into a 1 MiB chunk as they come and written chunk by chunk; `flush()` waits
 * for 'drain' when the stream asks for it, so memory stays flat whatever the file size.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { sourceHeader, type ColumnType, type SourceSpec } from '../sources/index.ts';

export type CsvStyle = 'kaggle' | 'reviews' | 'translation';
export type CsvValue = string | number | null | undefined;

/** Bytes gathered before a write; rows are encoded straight into the chunk so no long-lived strings pile up. */
const CHUNK_BYTES = 1 << 20;
const NUMERIC_LOOKING = /^[-+]?\.?[0-9]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** Quotes a field the CSV way (inner quotes doubled). */
export function quote(s: string): string {
  return '"' + (s.includes('"') ? s.replace(/"/g, '""') : s) + '"';
}

/** `YYYY-MM-DD HH:MM:SS` of an epoch-millisecond instant read as local wall time (UTC fields). */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** Formats one value of the given column type in the Kaggle style. */
export function formatField(type: ColumnType, v: CsvValue, style: CsvStyle): string {
  if (v === null || v === undefined || v === '') return '';
  if (style === 'translation') return String(v);
  switch (type) {
    case 'id': {
      const s = String(v);
      return style === 'reviews' || NUMERIC_LOOKING.test(s) || NEEDS_QUOTES.test(s) ? quote(s) : s;
    }
    case 'zip_prefix':
      return quote(String(v));
    case 'integer':
      return typeof v === 'number' ? String(Math.trunc(v)) : v;
    case 'money':
      return typeof v === 'number' ? v.toFixed(2) : v;
    case 'double':
      return String(v);
    case 'timestamp':
      return typeof v === 'number' ? formatTimestamp(v) : v;
    case 'state':
    case 'text': {
      const s = String(v);
      return NUMERIC_LOOKING.test(s) || NEEDS_QUOTES.test(s) ? quote(s) : s;
    }
  }
}

export class CsvFileWriter {
  readonly path: string;
  private readonly stream: WriteStream;
  private readonly types: readonly ColumnType[];
  private readonly eol: string;
  private chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  private pos = 0;
  private readonly ready: Buffer[] = [];
  private failure: Error | undefined;
  rows = 0;
  bytes = 0;

  constructor(readonly spec: SourceSpec, outDir: string, readonly style: CsvStyle) {
    this.path = join(outDir, spec.fileName);
    this.stream = createWriteStream(this.path, { highWaterMark: CHUNK_BYTES });
    this.stream.on('error', (e) => {
      this.failure = e;
    });
    // The generator writes the Kaggle layout: without the optional columns only the feed sends.
    this.types = spec.columns.filter((c) => !c.optional).map((c) => c.type);
    this.eol = style === 'kaggle' ? '\n' : '\r\n';
    const names = spec.columns.filter((c) => !c.optional).map(sourceHeader);
    this.append(style === 'translation' ? '\uFEFF' + names.join(',') + this.eol : names.map(quote).join(',') + this.eol);
  }

  private append(text: string): void {
    // A UTF-8 character takes at most 3 bytes per UTF-16 code unit.
    if (this.pos + text.length * 3 > this.chunk.length) {
      if (this.pos > 0) this.ready.push(this.chunk.subarray(0, this.pos));
      this.chunk = Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, text.length * 3));
      this.pos = 0;
    }
    this.pos += this.chunk.write(text, this.pos, 'utf8');
  }

  /** Appends one record; values in the spec's column order. */
  row(values: readonly CsvValue[]): void {
    const types = this.types;
    if (values.length !== types.length) {
      throw new Error(`${this.spec.fileName}: ${values.length} values for ${types.length} columns`);
    }
    let line = formatField(types[0]!, values[0], this.style);
    for (let i = 1; i < types.length; i++) line += ',' + formatField(types[i]!, values[i], this.style);
    this.append(line + this.eol);
    this.rows++;
  }

  /** Writes what is buffered; resolves once the stream can take more (backpressure). */
  async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.pos > 0) {
      this.ready.push(this.chunk.subarray(0, this.pos));
      this.chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
      this.pos = 0;
    }
    if (this.ready.length === 0) return;
    let ok = true;
    for (const b of this.ready.splice(0)) {
      this.bytes += b.length;
      ok = this.stream.write(b);
    }
    if (!ok) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = (): void => {
          this.stream.off('error', onError);
          resolve();
        };
        const onError = (e: Error): void => {
          this.stream.off('drain', onDrain);
          reject(e);
        };
        this.stream.once('drain', onDrain);
        this.stream.once('error', onError);
      });
    }
  }

  /** Flushes only when the buffer is large. */
  async flushIfFull(): Promise<void> {
    if (this.ready.length > 0) await this.flush();
  }

  async close(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.stream.end((err?: Error | null) => (err ? reject(err) : resolve()));
    });
  }
}

/**
 * Loads a dataset directory (the Kaggle files or the generator's output) into a scratch schema for
 * the simulator: one unlogged table per file with each record's exact text (`raw`, so that a row
 * sent unchanged is byte for byte the source's, bad rows included), its position (`seq`) and its
 * fields as text under the spec's column names. PostgreSQL then does the grouping and sorting that
 * cutting the feed needs, so the simulator's memory stays flat at any scale.
 */
import { createReadStream, existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import { from as copyFrom } from 'pg-copy-streams';
import { ident, type Pool } from '../db/connection.ts';
import { SourceFileError } from '../ingest/errors.ts';
import { mapHeader } from '../ingest/header.ts';
import type { SourceSpec } from '../sources/index.ts';

/** What the writer needs to send a file's records again. */
export interface SnapshotFile {
  spec: SourceSpec;
  /** The header record exactly as in the source file (byte-order mark included). */
  headerRaw: string;
  /** Line ending of the file ('\r\n' when the header ends with a carriage return). */
  eol: string;
  records: number;
}

/** COPY text format: backslash, tab, newline and carriage return escaped. */
function copyText(v: string | undefined): string {
  if (v === undefined) return '\\N';
  return v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

/**
 * csv-parse's `raw` carries parts of the record delimiters (with CRLF, the '\r' at the end and the
 * '\n' at the start of the next record): cut them, the writer adds the file's own line ending. A
 * record cannot begin or end with a line break of its own (inside quotes it would end in a quote).
 */
const RECORD_END = /^[\r\n]+|[\r\n]+$/g;

class RecordsToSnapshotCopy extends Transform {
  header: { raw: string; positions: number[] } | undefined;
  records = 0;

  constructor(private readonly spec: SourceSpec) {
    super({ objectMode: true, readableObjectMode: false });
  }

  override _transform(chunk: { record: string[]; raw: string }, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      if (!this.header) {
        this.header = { raw: chunk.raw.replace(RECORD_END, ''), positions: mapHeader(this.spec, chunk.record, this.spec.fileName) };
        return done();
      }
      const raw = chunk.raw.replace(RECORD_END, '');
      if (raw.trim() === '') return done(); // a blank line is not a record
      const fields = this.header.positions.map((p) => copyText(chunk.record[p]));
      this.records++;
      // COPY data goes out in ~256 KB messages: one per record would be a socket write per record.
      this.lines.push(`${this.records}\t${copyText(raw)}\t${fields.join('\t')}\n`);
      this.length += this.lines.at(-1)!.length;
      if (this.length >= 256 * 1024) this.pushLines();
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  private lines: string[] = [];
  private length = 0;

  private pushLines(): void {
    if (this.lines.length === 0) return;
    this.push(this.lines.join(''));
    this.lines = [];
    this.length = 0;
  }

  override _flush(done: TransformCallback): void {
    this.pushLines();
    done();
  }
}

/** Whether the file's first line ends with CRLF (the reviews and translation files do). */
async function headerEndsCrlf(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4096), 0, 4096, 0);
    const text = buffer.subarray(0, bytesRead).toString('latin1');
    const nl = text.indexOf('\n');
    return nl > 0 && text[nl - 1] === '\r';
  } finally {
    await handle.close();
  }
}

export async function loadSnapshot(pool: Pool, schema: string, dataDir: string, spec: SourceSpec): Promise<SnapshotFile> {
  const table = `${ident(schema)}.${ident(spec.name)}`;
  const cols = spec.columns.map((c) => `${ident(c.name)} text`).join(', ');
  const file = path.join(dataDir, spec.fileName);
  if (!existsSync(file)) throw new SourceFileError(spec.fileName, `file not found in ${dataDir}`);
  const client = await pool.connect();
  try {
    await client.query(`create unlogged table ${table} (seq int primary key, raw text not null, ${cols})`);
    const toCopy = new RecordsToSnapshotCopy(spec);
    const parser = parse({ bom: false, raw: true, relax_quotes: true, relax_column_count: true, skip_records_with_error: true, encoding: 'utf8' });
    const copy = client.query(copyFrom(`copy ${table} (seq, raw, ${spec.columns.map((c) => ident(c.name)).join(', ')}) from stdin`));
    await pipeline(createReadStream(file), parser, toCopy, copy);
    if (!toCopy.header) throw new SourceFileError(spec.fileName, 'file is empty (no header)', 1);
    await client.query(`analyze ${table}`);
    return { spec, headerRaw: toCopy.header.raw, eol: (await headerEndsCrlf(file)) ? '\r\n' : '\n', records: toCopy.records };
  } finally {
    client.release();
  }
}

/**
 * The fast way in: PostgreSQL parses the CSV. The file's bytes stream from here, untouched, into
 * `COPY ... (FORMAT csv)` into an unlogged all-text table (one column per header field, plus the
 * record's ordinal); then one `create table ... as select` makes the typed raw table of the valid
 * rows (with parallel workers on a big file) and one insert moves the others into
 * audit.rejected_rows, with the validation rendered in SQL from the same rules as the streaming
 * validator (validateSql.ts, columnRules.ts). On the way the bytes are hashed
 * and watched (csvShape.ts) for what PostgreSQL would read differently from csv-parse; a record
 * with a quote inside an unquoted field (the Kaggle reviews file's) is passed on requoted.
 *
 * This path only ever gives the streaming path's result, or declines: any file it cannot take as
 * is (a header problem, a record PostgreSQL's parser refuses, a wrong field count, invalid UTF-8, an
 * SQL error of any kind) is declined: loadFile rolls
 * the file's transaction back and streams it instead, which then reports or quarantines exactly as
 * before.
 *
 * No savepoint: the valid rows must be written by the very transaction that created the raw table,
 * not by a subtransaction, because that is what the quality gate reads as the proof that a row is
 * as this validation let it through (src/quality/compile.ts, changedSinceCreation: a row's xmin is
 * the creating transaction's). So a decline leaves the transaction aborted or dirty, and the caller
 * starts the file again in a fresh one; a decline is rare (one Kaggle file) and costs what the
 * rollback to a savepoint cost.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse/sync';
import { from as copyFrom } from 'pg-copy-streams';
import { ident, type Client } from '../db/connection.ts';
import { InterruptedError, interruptReason, onInterrupt, throwIfInterrupted } from '../db/interrupt.ts';
import type { SourceSpec } from '../sources/index.ts';
import { CsvShape } from './csvShape.ts';
import { wideEncoding } from './encoding.ts';
import { mapHeader } from './header.ts';
import { rawTableAsSql } from './rawTable.ts';
import { fieldColumn, serverValidation } from './validateSql.ts';
import type { ParseCounts } from './workerProtocol.ts';

export interface Declined {
  declined: string;
  /**
   * The cheap cast guards let through a value a cast refused: run the server path again with the
   * exact checks (in a fresh transaction) before falling back to streaming.
   */
  retryExact?: boolean;
}

/** Sequence numbers a COPY's backend keeps in memory for the records' ordinals. */
const ORDINAL_CACHE = 100_000;

/** Bytes read to find the header (a header longer than this goes the streaming way). */
const HEAD_BYTES = 64 * 1024;

/** What the server path read, and how many records it passed on requoted (csvShape.ts). */
export interface ServerCounts extends ParseCounts {
  requotedRecords?: number;
}

class Decline extends Error {}

/** The header record as csv-parse reads it, or why the file is left to the streaming path. */
async function readHeader(filePath: string): Promise<string[] | string> {
  const file = await open(filePath, 'r');
  try {
    const head = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await file.read(head, 0, HEAD_BYTES, 0);
    if (wideEncoding(head.subarray(0, Math.min(4, bytesRead)))) return 'not UTF-8';
    const text = head.subarray(0, bytesRead).toString('utf8');
    const end = text.indexOf('\n');
    if (end === -1) return 'no line break in the first 64 KiB';
    const records = parse(text.slice(0, end + 1), { bom: true, relax_quotes: true, relax_column_count: true }) as string[][];
    if (records.length !== 1 || (records[0]!.length === 1 && records[0]![0] === '')) return 'no header on the first line';
    return records[0]!;
  } catch (err) {
    return `header: ${(err as Error).message}`;
  } finally {
    await file.close();
  }
}

/**
 * Loads the file into `schema.<spec.name>` (already created by the caller, in its transaction) and
 * its invalid rows into the quarantine under `runId`, or declines: then the transaction may hold
 * part of the work or be aborted, and the caller must roll it back. `exact`: validate with the
 * exact checks only (no cast guards).
 */
export async function loadWithServerCsv(
  client: Client,
  spec: SourceSpec,
  filePath: string,
  schema: string,
  runId: number,
  onProgress: (bytes: number) => void,
  exact = false,
): Promise<ServerCounts | Declined> {
  const header = await readHeader(filePath);
  if (typeof header === 'string') return { declined: header };
  let fieldIndex: number[];
  try {
    fieldIndex = mapHeader(spec, header, spec.fileName);
  } catch (err) {
    return { declined: (err as Error).message };
  }
  // A server that does not check UTF-8 (SQL_ASCII) would take bytes the streaming path refuses.
  const { rows } = await client.query<{ enc: string }>(`select current_setting('server_encoding') as enc`);
  if (rows[0]!.enc !== 'UTF8') return { declined: `server encoding ${rows[0]!.enc}` };

  // A stop request fails the file at once, whatever the database is doing (as the streaming path).
  let stopListening = () => {};
  const stopped = new Promise<never>((_, reject) => {
    stopListening = onInterrupt((why) => reject(new InterruptedError(`stopped: ${why}`)));
  });
  const work = copyAndValidate(client, spec, filePath, schema, runId, header, fieldIndex, onProgress, exact);
  work.catch(() => undefined); // after a stop, its own failure is of no interest
  try {
    return await Promise.race([work, stopped]);
  } finally {
    stopListening();
  }
}

/** A cast refused a value the cheap guards let through (the exact checks would have quarantined it). */
class GuardTooLax extends Error {}

async function copyAndValidate(
  client: Client,
  spec: SourceSpec,
  filePath: string,
  schema: string,
  runId: number,
  header: string[],
  fieldIndex: number[],
  onProgress: (bytes: number) => void,
  exact: boolean,
): Promise<ServerCounts | Declined> {
  const textTable = `${ident(schema)}.${ident(`_csv_${spec.name}`)}`;
  const columns = header.map((_, i) => fieldColumn(i));
  const input = createReadStream(filePath, { highWaterMark: 1024 * 1024 });
  try {
    // The ordinal comes from a sequence the COPY draws on for every record: cached, the backend
    // takes the numbers from memory instead of locking and logging the sequence every 32 rows (a
    // fifth of the COPY of the geolocation file). One session draws them all, so they are still
    // 1, 2, 3... in file order.
    await client.query(`create unlogged table ${textTable} (${columns.map((c) => `${c} text`).join(', ')}, ord bigint generated always as identity (cache ${ORDINAL_CACHE}))`);
    const hash = createHash('sha256');
    const shape = new CsvShape();
    const watch = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        onProgress(chunk.length);
        const pass = shape.scan(chunk);
        // Stop sending at once: the rest of the file would be parsed for nothing.
        if (shape.problem) return done(new Decline(shape.problem));
        for (const bytes of pass) if (bytes.length) this.push(bytes);
        done();
      },
      flush(done) {
        const pass = shape.end();
        if (shape.problem) return done(new Decline(shape.problem));
        for (const bytes of pass) if (bytes.length) this.push(bytes);
        done();
      },
    });
    // FREEZE: the table is new in this transaction, so its rows can be written frozen (no hint
    // bits to set when the statements below read them).
    const copy = client.query(copyFrom(`copy ${textTable} (${columns.join(', ')}) from stdin (format csv, header true, freeze true)`));
    await pipeline(input, watch, copy);
    const rowsRead = copy.rowCount ?? 0;
    // An empty delivery is refused; the streaming path says so with its usual error.
    if (rowsRead === 0) throw new Decline('no rows');

    const target = `${ident(schema)}.${ident(spec.name)}`;
    const linesTable = `${ident(schema)}.${ident(`_csv_${spec.name}_lines`)}`;
    const sql = serverValidation(spec, { text: textTable, lines: linesTable, raw: target }, fieldIndex, header.length, shape.breaksInFields);
    throwIfInterrupted();
    if (sql.numberLines) await client.query(sql.numberLines);
    const select = !exact && sql.selectValidGuarded ? sql.selectValidGuarded : sql.selectValid;
    // The caller's empty raw table is made again from the valid rows (rawTableAsSql says why), in
    // this same transaction, so its rows still carry the creating transaction's xid.
    await client.query(`drop table ${target}`);
    const [createAs, ...conform] = rawTableAsSql(spec, schema, select);
    const rowsLoaded = (await client.query(createAs!).catch((err: Error) => {
      throw select === sql.selectValid || interruptReason() ? err : new GuardTooLax(err.message);
    })).rowCount ?? 0;
    for (const ddl of conform) await client.query(ddl);
    throwIfInterrupted();
    // The second pass over the file only when some row was invalid (a clean file pays for one).
    const rowsRejected = rowsLoaded === rowsRead ? 0 : (await client.query(sql.insertRejected, [runId, spec.name, spec.fileName])).rowCount ?? 0;
    if (rowsLoaded + rowsRejected !== rowsRead) {
      throw new Decline(`rows do not add up: ${rowsRead} read, ${rowsLoaded} valid, ${rowsRejected} invalid`);
    }
    await client.query(`drop table ${textTable}${sql.numberLines ? `, ${linesTable}` : ''}`);
    return { rowsRead, rowsLoaded, rowsRejected, sha256: hash.digest('hex'), ...(shape.requoted ? { requotedRecords: shape.requoted } : {}) };
  } catch (err) {
    input.destroy();
    // A stopped job stops here; anything else is the streaming path's to load or to report, in a
    // fresh transaction the caller starts (if the connection is gone, that fails and the file with it).
    if (err instanceof InterruptedError || interruptReason()) throw err;
    return { declined: (err as Error).message, ...(err instanceof GuardTooLax ? { retryExact: true } : {}) };
  }
}

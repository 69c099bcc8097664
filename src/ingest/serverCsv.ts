/**
 * The fast way in: PostgreSQL parses the CSV. The file's bytes stream from here, untouched, into
 * `COPY ... (FORMAT csv)` into an unlogged all-text table (one column per header field, plus the
 * record's ordinal); then one `insert ... select` moves the valid rows into the typed raw table and
 * one moves the others into audit.rejected_rows, with the validation rendered in SQL from the same
 * rules as the streaming validator (validateSql.ts, columnRules.ts). On the way the bytes are hashed
 * and watched (csvShape.ts) for what PostgreSQL would read differently from csv-parse.
 *
 * This path only ever gives the streaming path's result, or declines: any file it cannot take as
 * is (a header problem, a record PostgreSQL's parser refuses such as the Kaggle reviews file's bare
 * quote, a wrong field count, invalid UTF-8, an SQL error of any kind) is rolled back to the
 * savepoint and loadFile streams it instead, which then reports or quarantines exactly as before.
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
import { SourceFileError } from './errors.ts';
import { mapHeader } from './header.ts';
import { fieldColumn, serverValidation } from './validateSql.ts';
import type { ParseCounts } from './workerProtocol.ts';

export interface Declined {
  declined: string;
}

/** Bytes read to find the header (a header longer than this goes the streaming way). */
const HEAD_BYTES = 64 * 1024;
const SAVEPOINT = 'server_csv';

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
 * its invalid rows into the quarantine under `runId`, or declines and leaves both as they were.
 */
export async function loadWithServerCsv(
  client: Client,
  spec: SourceSpec,
  filePath: string,
  schema: string,
  runId: number,
  onProgress: (bytes: number) => void,
): Promise<ParseCounts | Declined> {
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
  const work = copyAndValidate(client, spec, filePath, schema, runId, header, fieldIndex, onProgress);
  work.catch(() => undefined); // after a stop, its own failure is of no interest
  try {
    return await Promise.race([work, stopped]);
  } finally {
    stopListening();
  }
}

/** Rows inserted by the guarded statement, or undefined (rolled back) if one of its casts failed. */
async function guarded(client: Client, insert: string): Promise<number | undefined> {
  await client.query('savepoint guarded');
  try {
    const n = (await client.query(insert)).rowCount ?? 0;
    await client.query('release savepoint guarded');
    return n;
  } catch (err) {
    if (interruptReason()) throw err;
    await client.query('rollback to savepoint guarded; release savepoint guarded');
    return undefined;
  }
}

async function copyAndValidate(
  client: Client,
  spec: SourceSpec,
  filePath: string,
  schema: string,
  runId: number,
  header: string[],
  fieldIndex: number[],
  onProgress: (bytes: number) => void,
): Promise<ParseCounts | Declined> {
  const textTable = `${ident(schema)}.${ident(`_csv_${spec.name}`)}`;
  const columns = header.map((_, i) => fieldColumn(i));
  await client.query(`savepoint ${SAVEPOINT}`);
  const input = createReadStream(filePath, { highWaterMark: 1024 * 1024 });
  try {
    await client.query(`create unlogged table ${textTable} (${columns.map((c) => `${c} text`).join(', ')}, ord bigint generated always as identity)`);
    const hash = createHash('sha256');
    const shape = new CsvShape();
    const watch = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        shape.scan(chunk);
        onProgress(chunk.length);
        // Stop sending at once: the rest of the file would be parsed for nothing.
        if (shape.problem) done(new Decline(shape.problem));
        else done(null, chunk);
      },
      flush(done) {
        shape.end();
        done(shape.problem ? new Decline(shape.problem) : null);
      },
    });
    // FREEZE: the table is new in this subtransaction, so its rows can be written frozen (no hint
    // bits to set when the inserts below read them).
    const copy = client.query(copyFrom(`copy ${textTable} (${columns.join(', ')}) from stdin (format csv, header true, freeze true)`));
    await pipeline(input, watch, copy);
    const rowsRead = copy.rowCount ?? 0;
    // An empty delivery is refused; the streaming path says so with its usual error.
    if (rowsRead === 0) throw new Decline('no rows');

    const target = `${ident(schema)}.${ident(spec.name)}`;
    const sql = serverValidation(spec, target, textTable, fieldIndex, header.length, shape.breaksInFields);
    throwIfInterrupted();
    const rowsLoaded = (sql.insertValidGuarded ? await guarded(client, sql.insertValidGuarded) : undefined)
      ?? (await client.query(sql.insertValid)).rowCount ?? 0;
    throwIfInterrupted();
    // The second pass over the file only when some row was invalid (a clean file pays for one).
    const rowsRejected = rowsLoaded === rowsRead ? 0 : (await client.query(sql.insertRejected, [runId, spec.name, spec.fileName])).rowCount ?? 0;
    if (rowsLoaded + rowsRejected !== rowsRead) {
      throw new Decline(`rows do not add up: ${rowsRead} read, ${rowsLoaded} valid, ${rowsRejected} invalid`);
    }
    await client.query(`drop table ${textTable}`);
    await client.query(`release savepoint ${SAVEPOINT}`);
    return { rowsRead, rowsLoaded, rowsRejected, sha256: hash.digest('hex') };
  } catch (err) {
    input.destroy();
    // A stopped job stops here; anything else is the streaming path's to load or to report, once
    // the savepoint is restored (if the connection is gone, that fails and the file fails with it).
    if (err instanceof InterruptedError || interruptReason()) throw err;
    try {
      await client.query(`rollback to savepoint ${SAVEPOINT}; release savepoint ${SAVEPOINT}`);
    } catch {
      throw err instanceof SourceFileError ? err : new SourceFileError(spec.fileName, (err as Error).message);
    }
    return { declined: (err as Error).message };
  }
}

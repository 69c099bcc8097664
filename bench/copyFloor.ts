/**
 * The floor: the nine raw files moved into PostgreSQL with plain COPY and nothing else — no
 * validation, no types (every column `text`), UNLOGGED tables, no indexes, no analyze.
 *
 * Two ways of moving the bytes are measured:
 * - `stdin`: client-side `COPY ... FROM STDIN`, the file's bytes streamed through pg-copy-streams.
 *   This is what any client on the machine (ours included) can do at best, so it is "the floor".
 * - `server`: server-side `COPY ... FROM '/abs/file'` (superuser; the embedded server runs as the OS
 *   user `postgres`, which must be able to read the file). No client at all: a lower bound.
 *
 * Each file is loaded as real CSV (`FORMAT csv, HEADER`) into one text column per header field.
 * A file PostgreSQL's CSV parser rejects (the Kaggle reviews file: a bare quote inside an unquoted
 * field on line 81,468) is loaded instead in "lines" mode: one row per physical line in a single
 * text column (`DELIMITER E'\x02', QUOTE E'\x01'`, two bytes that never occur), which moves the same
 * bytes with less parsing, so the floor errs on the fast side (against us). Which files need that
 * is found by an untimed probe (probeModes), which also warms the page cache for every contender.
 */
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

export const FLOOR_SCHEMA = 'bench_floor';

export type FloorMethod = 'stdin' | 'server';

export interface FloorFile {
  file: string;
  table: string;
  mode: 'csv' | 'lines';
  bytes: number;
  rows: number;
  ms: number;
}

export interface FloorResult {
  method: FloorMethod;
  concurrency: number;
  ms: number;
  rows: number;
  bytes: number;
  files: FloorFile[];
}

const q = (name: string): string => `"${name.replaceAll('"', '""')}"`;
const lit = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/** Header fields of a CSV file: first line, BOM and quotes stripped. */
async function headerOf(file: string): Promise<string[]> {
  const fh = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    let text = buf.subarray(0, bytesRead).toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const line = text.split(/\r?\n/, 1)[0] ?? '';
    return line.split(',').map((f) => f.trim().replace(/^"(.*)"$/, '$1'));
  } finally {
    await fh.close();
  }
}

function tableName(file: string): string {
  return path.basename(file, '.csv').replace(/^olist_/, '').replace(/_dataset$/, '').replace(/[^a-z0-9_]/gi, '_').toLowerCase();
}

async function copyFile(client: pg.ClientBase, method: FloorMethod, file: string, sql: string): Promise<number> {
  if (method === 'server') return (await client.query(sql)).rowCount ?? 0;
  const stream = client.query(copyFrom(sql));
  await pipeline(createReadStream(file, { highWaterMark: 1024 * 1024 }), stream);
  return stream.rowCount ?? 0;
}

async function loadOne(client: pg.ClientBase, method: FloorMethod, file: string, mode: 'csv' | 'lines'): Promise<FloorFile> {
  const table = tableName(file);
  const target = `${FLOOR_SCHEMA}.${q(table)}`;
  const bytes = (await fs.stat(file)).size;
  const columns = mode === 'csv' ? (await headerOf(file)).map((h) => `${q(h)} text`) : ['line text'];
  const source = method === 'stdin' ? 'stdin' : lit(file);
  const options = mode === 'csv' ? 'format csv, header true' : "format csv, header true, delimiter E'\\x02', quote E'\\x01'";
  await client.query(`create unlogged table ${target} (${columns.join(', ')})`);
  const started = performance.now();
  const rows = await copyFile(client, method, file, `copy ${target} from ${source} with (${options})`);
  return { file: path.basename(file), table, mode, bytes, rows, ms: Math.round(performance.now() - started) };
}

export interface ModeProbe {
  modes: Map<string, 'csv' | 'lines'>;
  /** Why PostgreSQL's CSV parser refused a file (loaded in lines mode instead). */
  errors: Record<string, string>;
}

/**
 * Untimed pass that finds the files PostgreSQL's CSV parser rejects (one COPY FROM STDIN of each
 * file into a temporary table). It also brings every file into the page cache, so the floor, our
 * ingest and pandas all read warm files.
 */
export async function probeModes(url: string, files: string[]): Promise<ModeProbe> {
  const client = new pg.Client({ connectionString: url, application_name: 'olist-bench' });
  await client.connect();
  const modes = new Map<string, 'csv' | 'lines'>();
  const errors: Record<string, string> = {};
  try {
    for (const file of files) {
      const cols = (await headerOf(file)).map((h) => `${q(h)} text`).join(', ');
      await client.query('begin');
      await client.query(`create temporary table probe (${cols}) on commit drop`);
      try {
        await copyFile(client, 'stdin', file, 'copy probe from stdin with (format csv, header true)');
        modes.set(file, 'csv');
      } catch (err) {
        modes.set(file, 'lines');
        errors[path.basename(file)] = (err as Error).message;
      }
      await client.query('rollback');
    }
  } finally {
    await client.end();
  }
  return { modes, errors };
}

/**
 * Loads every file of `files` into fresh unlogged tables of FLOOR_SCHEMA, `concurrency` files at a
 * time (each on its own connection, like the ingest). `ms` is the wall time of the whole load.
 */
export async function copyFloor(url: string, files: string[], method: FloorMethod, probe: ModeProbe, concurrency = 2): Promise<FloorResult> {
  const admin = new pg.Client({ connectionString: url, application_name: 'olist-bench' });
  await admin.connect();
  try {
    await admin.query(`drop schema if exists ${FLOOR_SCHEMA} cascade; create schema ${FLOOR_SCHEMA}`);
    await admin.query('checkpoint');
    // Largest first: the two workers finish closer together.
    const sizes = await Promise.all(files.map(async (f) => ({ f, size: (await fs.stat(f)).size })));
    const queue = sizes.sort((a, b) => b.size - a.size).map((s) => s.f);
    const results: FloorFile[] = [];
    const started = performance.now();
    const worker = async (): Promise<void> => {
      const client = new pg.Client({ connectionString: url, application_name: 'olist-bench' });
      await client.connect();
      try {
        for (let f = queue.shift(); f; f = queue.shift()) results.push(await loadOne(client, method, f, probe.modes.get(f) ?? 'csv'));
      } finally {
        await client.end();
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
    const ms = Math.round(performance.now() - started);
    const order = new Map(files.map((f, i) => [path.basename(f), i]));
    results.sort((a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0));
    return {
      method, concurrency, ms,
      rows: results.reduce((s, r) => s + r.rows, 0),
      bytes: results.reduce((s, r) => s + r.bytes, 0),
      files: results,
    };
  } finally {
    await admin.query(`drop schema if exists ${FLOOR_SCHEMA} cascade`).catch(() => undefined);
    await admin.end();
  }
}

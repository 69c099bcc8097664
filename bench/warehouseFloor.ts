/**
 * The write floor of the full load's result (full-load speed issue): what it costs to put the
 * published warehouse on disk when nothing has to be read from CSV, validated, computed or checked.
 *
 * The COPY floor (bench/copyFloor.ts) says how fast the nine files alone can enter PostgreSQL. A
 * full run writes much more than the files: every raw, staging, warehouse and mart table, with the
 * keys, foreign keys and indexes the product serves from. This floor takes the tables a run
 * published, saves their rows (binary COPY, not timed), and times writing them all back into an
 * empty database the way the fastest load would: each table created and filled by COPY in one
 * transaction (no WAL for it at wal_level=minimal, rows frozen), two tables at a time as the run
 * builds two models at a time, then each table's primary key, unique keys and indexes, then the
 * foreign keys, two at a time. No analyze, no views, no publish: a floor errs on the fast side.
 * What a run costs beyond it is its reading, validating, computing and checking.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { ident } from '../src/db/connection.ts';

const SCHEMAS = ['raw', 'staging', 'warehouse', 'marts'];

export interface WarehouseFloor {
  ms: number;
  phases: { copyMs: number; keysMs: number; foreignKeysMs: number };
  tables: number;
  rows: number;
  /** Bytes of the saved rows (binary COPY). */
  bytes: number;
  /** Rows (the planner's count) and bytes of each schema's tables. */
  bySchema: Record<string, { rows: number; bytes: number }>;
}

interface TableDef {
  schema: string;
  name: string;
  columns: string;
  /** Primary and unique keys, checks (the foreign keys wait for every key). */
  keys: string[];
  foreignKeys: string[];
  indexes: string[];
  rows: number;
}


async function tableDefs(c: pg.Client): Promise<TableDef[]> {
  const { rows } = await c.query<{ schema: string; name: string; columns: string; keys: string[]; fks: string[]; indexes: string[]; rows: number }>(
    `select n.nspname as schema, t.relname as name,
            (select string_agg(format('%I %s%s', a.attname, format_type(a.atttypid, a.atttypmod), case when a.attnotnull then ' not null' else '' end), ', ' order by a.attnum)
               from pg_attribute a where a.attrelid = t.oid and a.attnum > 0 and not a.attisdropped) as columns,
            array(select format('alter table %I.%I add constraint %I %s', n.nspname, t.relname, k.conname, pg_get_constraintdef(k.oid))
                    from pg_constraint k where k.conrelid = t.oid and k.contype in ('p', 'u', 'c') order by k.contype, k.conname) as keys,
            array(select format('alter table %I.%I add constraint %I %s', n.nspname, t.relname, k.conname, pg_get_constraintdef(k.oid))
                    from pg_constraint k where k.conrelid = t.oid and k.contype = 'f' order by k.confrelid::regclass::text, k.conname) as fks,
            array(select pg_get_indexdef(i.indexrelid) from pg_index i
                   where i.indrelid = t.oid and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)) as indexes,
            t.reltuples::bigint::int as rows
       from pg_class t join pg_namespace n on n.oid = t.relnamespace
      where t.relkind = 'r' and n.nspname = any($1)
      order by pg_relation_size(t.oid) desc`,
    [SCHEMAS],
  );
  return rows.map((r) => ({ schema: r.schema, name: r.name, columns: r.columns, keys: r.keys, foreignKeys: r.fks, indexes: r.indexes, rows: Math.max(0, r.rows) }));
}

/** Runs `work` over `items` on `lanes` connections to `url`, each item taking the next free one. */
async function inLanes<T>(url: string, lanes: number, items: T[], work: (c: pg.Client, item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: lanes }, async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(c, item);
    } finally {
      await c.end();
    }
  }));
}

export async function warehouseFloor(url: string, lanes = 2): Promise<WarehouseFloor> {
  const source = new pg.Client({ connectionString: url });
  await source.connect();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'olist-warehouse-floor-'));
  const target = new URL(url);
  const floorDb = `${target.pathname.slice(1)}_warehouse_floor`;
  target.pathname = `/${floorDb}`;
  const admin = new URL(url);
  admin.pathname = '/postgres';
  try {
    const tables = await tableDefs(source);
    let bytes = 0;
    const bySchema: WarehouseFloor['bySchema'] = {};
    for (const t of tables) {
      const file = path.join(dir, `${t.schema}.${t.name}`);
      await pipeline(source.query(copyTo(`copy ${ident(t.schema)}.${ident(t.name)} to stdout (format binary)`)), createWriteStream(file));
      const size = (await fs.stat(file)).size;
      bytes += size;
      const s = (bySchema[t.schema] ??= { rows: 0, bytes: 0 });
      s.rows += t.rows;
      s.bytes += size;
    }
    const a = new pg.Client({ connectionString: admin.toString() });
    await a.connect();
    await a.query(`drop database if exists ${ident(floorDb)}`);
    await a.query(`create database ${ident(floorDb)}`);
    await a.end();
    const setup = new pg.Client({ connectionString: target.toString() });
    await setup.connect();
    await setup.query(`checkpoint`);
    await setup.end();

    const t0 = performance.now();
    await inLanes(target.toString(), 1, [0], async (c) => {
      await c.query(SCHEMAS.map((s) => `create schema if not exists ${ident(s)}`).join('; '));
    });
    await inLanes(target.toString(), lanes, tables, async (c, t) => {
      await c.query('begin');
      await c.query(`create table ${ident(t.schema)}.${ident(t.name)} (${t.columns})`);
      await pipeline(createReadStream(path.join(dir, `${t.schema}.${t.name}`)), c.query(copyFrom(`copy ${ident(t.schema)}.${ident(t.name)} from stdin (format binary, freeze true)`)));
      await c.query('commit');
    });
    const t1 = performance.now();
    await inLanes(target.toString(), lanes, tables, async (c, t) => {
      for (const ddl of [...t.keys, ...t.indexes]) await c.query(ddl);
    });
    const t2 = performance.now();
    await inLanes(target.toString(), lanes, tables.flatMap((t) => t.foreignKeys), async (c, ddl) => {
      await c.query(ddl);
    });
    const t3 = performance.now();
    return {
      ms: Math.round(t3 - t0),
      phases: { copyMs: Math.round(t1 - t0), keysMs: Math.round(t2 - t1), foreignKeysMs: Math.round(t3 - t2) },
      tables: tables.length,
      rows: tables.reduce((n, t) => n + t.rows, 0),
      bytes,
      bySchema,
    };
  } finally {
    await source.end();
    await fs.rm(dir, { recursive: true, force: true });
    const a = new pg.Client({ connectionString: admin.toString() });
    await a.connect().then(() => a.query(`drop database if exists ${ident(floorDb)} with (force)`)).catch(() => undefined).finally(() => a.end());
  }
}

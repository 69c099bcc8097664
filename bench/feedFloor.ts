/**
 * The write floor of a feed batch: what the day's goal (incremental issue) is measured against, as
 * the full load is measured against a plain COPY of its files (bench/copyFloor.ts).
 *
 * A batch must leave the warehouse in one state: the rows it changes are known once it has been
 * applied. The floor is the time to write exactly those rows, and nothing else, into the warehouse
 * as it stood before the batch: no file to read, no validation, no model to compute, no check to
 * run. One transaction, sent as one query (one round trip), in the cheapest form each change
 * has: a row whose primary key stays is updated in place, the rest deleted or inserted, by row
 * address. The tables keep what the product needs of them (their primary keys, unique keys,
 * foreign keys checked at commit, the serving indexes), so every write pays what any way of
 * applying the batch would pay. Only the rows that differ are written: a row rewritten with the
 * same values is not in the floor.
 *
 * Given two databases of one server, `before` (a copy of the warehouse before the batch) and
 * `after` (the warehouse once the feed applied it), the floor:
 * 1. finds the tables the batch changed (rows written by its transaction, or a row count that moved),
 * 2. diffs each one by row image (md5 of the row's text): rows only in `after` are to write, rows
 *    only in `before` to replace or delete (by primary key when the table has one),
 * 3. copies the rows to write into work tables of `before` and warms what the writes read (not timed),
 * 4. times the one transaction that writes them (its commit, with the deferred foreign keys, included;
 *    a mark after each table's writes, a row in a temporary table, splits the time by schema),
 * 5. proves that `before` now equals `after`, table by table (count and checksum of every row).
 */
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { ident } from '../src/db/connection.ts';

const SCHEMAS = ['raw', 'staging', 'warehouse', 'marts', 'audit'];
const WORK = 'feed_floor_work';

export interface FloorResult {
  /** The writing transaction, begin to commit, sent as one query. */
  ms: number;
  /** Milliseconds of the writes of each schema's tables (the commit, with its foreign keys, is the rest). */
  bySchema: Record<string, number>;
  tables: number;
  inserted: number;
  updated: number;
  deleted: number;
  /** `before` equals `after` in every table the batch changed, once the floor's transaction committed. */
  equal: boolean;
}

interface Table {
  /** schema.name as regclass prints it */
  rel: string;
  columns: string[];
  primaryKey: string[];
  /** Columns the table fills itself (identity): written with overriding system value. */
  identity: boolean;
}

const dbUrl = (url: string, db: string): string => {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
};

async function tablesOf(c: pg.Client): Promise<Table[]> {
  const { rows } = await c.query<{ rel: string; columns: string[]; pk: string[] | null; identity: boolean; refs: string[] }>(
    `select format('%I.%I', n.nspname, t.relname) as rel,
            array(select f.confrelid::regclass::text from pg_constraint f where f.conrelid = t.oid and f.contype = 'f' and f.confrelid <> t.oid) as refs,
            array(select a.attname::text from pg_attribute a where a.attrelid = t.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = '' order by a.attnum) as columns,
            (select array(select a.attname::text from unnest(i.indkey) with ordinality k(n, o) join pg_attribute a on a.attrelid = t.oid and a.attnum = k.n order by k.o)
               from pg_index i where i.indrelid = t.oid and i.indisprimary) as pk,
            exists (select 1 from pg_attribute a where a.attrelid = t.oid and a.attidentity = 'a') as identity
       from pg_class t join pg_namespace n on n.oid = t.relnamespace
      where t.relkind = 'r' and n.nspname = any($1) order by 1`,
    [SCHEMAS],
  );
  // referenced tables first: audit's foreign keys are checked row by row
  const order: Table[] = [];
  const placed = new Set<string>();
  const place = (r: (typeof rows)[number]): void => {
    if (placed.has(r.rel)) return;
    placed.add(r.rel);
    for (const ref of r.refs) {
      const target = rows.find((x) => x.rel === ref);
      if (target) place(target);
    }
    order.push({ rel: r.rel, columns: r.columns, primaryKey: r.pk ?? [], identity: r.identity });
  };
  rows.forEach(place);
  return order;
}

/** Each row's address and the md5 of its text, in one table. */
async function rowImages(c: pg.Client, rel: string): Promise<Map<string, string[]>> {
  const { rows } = await c.query<{ h: string; tid: string }>(`select md5(t::text) as h, t.ctid::text as tid from ${rel} t`);
  const out = new Map<string, string[]>();
  for (const r of rows) {
    const at = out.get(r.h);
    if (at) at.push(r.tid);
    else out.set(r.h, [r.tid]);
  }
  return out;
}

/** The row addresses of `from` whose images `other` does not hold as often (a multiset difference). */
function onlyIn(from: Map<string, string[]>, other: Map<string, string[]>): string[] {
  const out: string[] = [];
  for (const [h, tids] of from) out.push(...tids.slice(other.get(h)?.length ?? 0));
  return out;
}

async function fingerprint(c: pg.Client, rel: string): Promise<string> {
  const { rows } = await c.query<{ n: string; s: string | null }>(
    `select count(*)::text as n, sum(('x' || substr(md5(t::text), 1, 16))::bit(64)::bigint::numeric)::text as s from ${rel} t`,
  );
  return `${rows[0]!.n}:${rows[0]!.s ?? 0}`;
}

export async function writeFloor(url: string, beforeDb: string, afterDb: string, runId: number): Promise<FloorResult> {
  const before = new pg.Client({ connectionString: dbUrl(url, beforeDb) });
  const after = new pg.Client({ connectionString: dbUrl(url, afterDb) });
  await before.connect();
  await after.connect();
  try {
    // The batch's transaction wrote its gate's results (the ledger row is touched again after it commits).
    const { rows: xid } = await after.query<{ xid: string }>('select xmin::text as xid from audit.quality_gates where run_id = $1', [runId]);
    if (!xid[0]) throw new Error(`no gate result of run ${runId} in ${afterDb}: cannot tell the batch's transaction`);
    const tables = await tablesOf(after);
    const changed: { t: Table; write: string[]; replace: string[] }[] = [];
    for (const t of tables) {
      const { rows } = await after.query<{ written: boolean; n: string }>(`select exists (select 1 from ${t.rel} where xmin = $1::xid) as written, (select count(*) from ${t.rel})::text as n`, [xid[0].xid]);
      const { rows: was } = await before.query<{ n: string }>(`select count(*)::text as n from ${t.rel}`);
      if (!rows[0]!.written && rows[0]!.n === was[0]!.n) continue;
      const [a, b] = [await rowImages(after, t.rel), await rowImages(before, t.rel)];
      const write = onlyIn(a, b);
      const replace = onlyIn(b, a);
      if (write.length + replace.length > 0) changed.push({ t, write, replace });
    }

    // The rows to write, as `after` has them, split into those that replace a row of the same
    // primary key (updated in place) and the others (inserted); the rows to delete by address.
    await before.query(`drop schema if exists ${WORK} cascade; create schema ${WORK}`);
    const tidArray = (tids: string[]) => `'{${tids.map((x) => `"${x}"`).join(',')}}'::tid[]`;
    const statements = ['begin', 'set constraints all deferred'];
    let inserted = 0, updated = 0, deleted = 0;
    const prewarm: string[] = [];
    for (const [i, { t, write, replace }] of changed.entries()) {
      const w = `${WORK}.w${i}`, wi = `${WORK}.wi${i}`, wu = `${WORK}.wu${i}`;
      const cols = t.columns.map(ident).join(', ');
      await before.query(`create unlogged table ${w} as select ${cols} from ${t.rel} with no data`);
      if (write.length > 0) {
        const out = after.query(copyTo(`copy (select ${cols} from ${t.rel} where ctid = any(${tidArray(write)})) to stdout`));
        await pipeline(out, before.query(copyFrom(`copy ${w} from stdin`)));
      }
      const pk = t.primaryKey.map(ident);
      const key = (alias: string) => `(${pk.map((k) => `${alias}.${k}`).join(', ')})`;
      const kept = pk.length > 0 ? `exists (select 1 from ${t.rel} t where ${key('t')} = ${key('w')})` : 'false';
      await before.query(`create unlogged table ${wu} as select * from ${w} w where ${kept}; create unlogged table ${wi} as select * from ${w} w where not ${kept}; analyze ${wu}, ${wi}`);
      const { rows: gone } = pk.length > 0
        ? await before.query<{ tid: string }>(`select t.ctid::text as tid from ${t.rel} t where t.ctid = any(${tidArray(replace)}) and ${key('t')} not in (select ${pk.join(', ')} from ${w})`)
        : { rows: replace.map((tid) => ({ tid })) };
      const { rows: n } = await before.query<{ u: number; i: number }>(`select (select count(*)::int from ${wu}) as u, (select count(*)::int from ${wi}) as i`);
      updated += n[0]!.u;
      inserted += n[0]!.i;
      deleted += gone.length;
      if (gone.length > 0) statements.push(`delete from ${t.rel} where ctid = any(${tidArray(gone.map((g) => g.tid))})`);
      const rest = t.columns.filter((c) => !t.primaryKey.includes(c));
      if (n[0]!.u > 0 && rest.length > 0) statements.push(`update ${t.rel} t set ${rest.map((c) => `${ident(c)} = w.${ident(c)}`).join(', ')} from ${wu} w where ${key('t')} = ${key('w')}`);
      if (n[0]!.i > 0) statements.push(`insert into ${t.rel} (${cols})${t.identity ? ' overriding system value' : ''} select ${cols} from ${wi}`);
      prewarm.push(t.rel);
    }
    // The feed writes into a warehouse its last batches left in memory: so does the floor (the
    // tables it writes, their indexes and the tables their foreign keys read).
    await before.query(`create extension if not exists pg_prewarm`);
    await before.query(
      `select pg_prewarm(c.oid) from pg_class c
        where c.oid = any($1::regclass[])
           or c.oid in (select indexrelid from pg_index where indrelid = any($1::regclass[]))
           or c.oid in (select confrelid from pg_constraint where contype = 'f' and conrelid = any($1::regclass[]))
           or c.oid in (select i.indexrelid from pg_constraint f join pg_index i on i.indrelid = f.confrelid where f.contype = 'f' and f.conrelid = any($1::regclass[]))`,
      [prewarm],
    );

    statements.push('commit');
    // Each table's writes end with a mark (a row in a temporary table, a few microseconds), so the
    // one round trip still tells what each layer cost.
    await before.query('create temp table floor_marks (i int, at timestamptz)');
    const marked = statements.map((st, i) => (i === 1 || /^(delete|update|insert)/.test(st) ? `${st}; insert into floor_marks values (${i}, clock_timestamp())` : st));
    const started = performance.now();
    await before.query(marked.join(';\n'));
    const ms = performance.now() - started;
    const { rows: marks } = await before.query<{ i: number; ms: number }>(
      'select i, (extract(epoch from at - lag(at) over (order by i)) * 1000)::float8 as ms from floor_marks order by i',
    );
    const bySchema: Record<string, number> = {};
    for (const m of marks.slice(1)) {
      const schema = /^(?:delete from|update|insert into) ([a-z_]+)\./.exec(statements[m.i]!)![1]!;
      bySchema[schema] = (bySchema[schema] ?? 0) + m.ms;
    }
    for (const k of Object.keys(bySchema)) bySchema[k] = Math.round(bySchema[k]!);

    let equal = true;
    for (const { t } of changed) equal &&= (await fingerprint(before, t.rel)) === (await fingerprint(after, t.rel));
    await before.query(`drop schema ${WORK} cascade`);
    return { ms: Math.round(ms), bySchema, tables: changed.length, inserted, updated, deleted, equal };
  } finally {
    await before.end();
    await after.end();
  }
}

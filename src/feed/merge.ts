/**
 * Merges one validated batch (loaded into a scratch schema by the ingest) into the published raw
 * layer, inside the batch transaction, by the rules of each spec's `feed` (src/sources/types.ts):
 *
 * - reference files replace their table;
 * - change rows are upserted by primary key, the newest version winning: within the batch the
 *   version with the most `progress` columns filled (then the later line), and against the
 *   warehouse a version with fewer of them never overwrites one with more (a late update is
 *   counted as stale and dropped);
 * - a change row whose parent row is not in the warehouse is parked in audit.parked_rows and tried
 *   again by every later batch, so it is applied when the parent arrives;
 * - a row equal to what the warehouse holds changes nothing;
 * - a versioned source (sellers, products: `feed.versions`) also keeps every version received in
 *   `raw.<name>_versions`, one per key and effective time (the same key and time sent again
 *   replaces it); `raw.<name>` keeps the version with the latest effective time, so a late
 *   correction (effective before the current version) lands in the history only.
 *
 * prepareSource decides (the rows to write land in `newest_<source>`, their keys in
 * `changed_<source>`, which the incremental model scopes read); applySource writes them, once the
 * scopes have seen the warehouse as it was.
 */
import { ident, literal, type Client } from '../db/connection.ts';
import { analyzeTemporary } from '../db/statistics.ts';
import { columnDefinitions, columnsOfRelations, prepareWorkTables, workTable } from '../db/workTables.ts';
import { RAW_SCHEMA } from '../ingest/ingest.ts';
import { ARRIVAL_COLUMN, LINE_COLUMN } from '../ingest/rawTable.ts';
import { versionsOf, versionsTableName, type SourceSpec } from '../sources/index.ts';
import type { BatchDeltas } from '../transform/deltas.ts';
import type { Model } from '../transform/models.ts';
import { CHANGED_COLUMNS, changedTable } from '../transform/incremental.ts';

export interface SourceMerge {
  source: string;
  changed: number;
  parked: number;
  unparked: number;
  stale: number;
  /** Versions added to (or replaced in) the history of a versioned source. */
  versions?: number;
}

const raw = (spec: SourceSpec) => `${RAW_SCHEMA}.${ident(spec.name)}`;
const keyCols = (spec: SourceSpec) => spec.primaryKey.map(ident);
const progressOf = (spec: SourceSpec, alias: string): string => {
  const cols = spec.feed.kind === 'changes' ? (spec.feed.progress ?? []) : [];
  return cols.length === 0 ? '(0)' : cols.map((c) => `(${alias}.${ident(c)} is not null)::int`).join(' + ');
};
const hasProgress = (spec: SourceSpec) => spec.feed.kind === 'changes' && (spec.feed.progress ?? []).length > 0;
const sameKey = (spec: SourceSpec, a: string, b: string) => spec.primaryKey.map((k) => `${a}.${ident(k)} = ${b}.${ident(k)}`).join(' and ');
const recordKey = (spec: SourceSpec, alias: string) => spec.primaryKey.map((k) => `${alias}.${ident(k)}::text`).join(` || '|' || `);
const dataCols = (spec: SourceSpec) => spec.columns.map((c) => ident(c.name));
/** A version's effective time, `-infinity` when it has none (valid since the beginning). */
const effectiveOf = (spec: SourceSpec, alias: string): string => `coalesce(${alias}.${ident(versionsOf(spec)!.effectiveColumn)}, '-infinity')`;
const rawVersions = (spec: SourceSpec) => `${RAW_SCHEMA}.${ident(versionsTableName(spec))}`;
/**
 * The merge's own tables of a source: the batch's rows and the parked ones (`incoming`), the newest
 * version of each key (`newest`), the versions for the history (`history`). Work tables kept
 * between batches (src/db/workTables.ts): seventeen temporary tables a day cost 2-4 ms each.
 */
const mergeTable = (kind: 'incoming' | 'newest' | 'history', spec: SourceSpec | string): string => workTable(`${kind}_${typeof spec === 'string' ? spec : spec.name}`);

/**
 * Indexes the feed needs on the raw tables (a full load publishes raw without them): the key the
 * upserts match on, and the partition key of each model partitioned by a column of a source it
 * reads, when the source's key does not start with it (stg_order_reviews recomputes by order_id,
 * the reviews' key is (review_id, order_id): without it each batch read the whole key index, a
 * tenth of a second at scale 10).
 */
export async function ensureRawKeyIndexes(db: Pick<Client, 'query'>, specs: readonly SourceSpec[], models: readonly Model[]): Promise<void> {
  for (const spec of specs.filter((s) => s.feed.kind === 'changes')) {
    await db.query(`create index if not exists ${ident(`${spec.name}_feed_key`)} on ${raw(spec)} (${keyCols(spec).join(', ')})`);
    const partitions = new Set(models.filter((m) => m.incremental && m.sources.includes(spec.name)).map((m) => m.incremental!.key));
    for (const column of partitions) {
      if (spec.primaryKey[0] === column || !spec.columns.some((c) => c.name === column)) continue;
      await db.query(`create index if not exists ${ident(`${spec.name}_by_${column}`)} on ${raw(spec)} (${ident(column)})`);
    }
    // a history created before versions recorded their arrival: its versions came with the file (0)
    if (versionsOf(spec)) await db.query(`alter table if exists ${rawVersions(spec)} add column if not exists ${ident(ARRIVAL_COLUMN)} bigint not null default 0`);
  }
}

/**
 * Empty `changed_<source>` tables for every source, so every scope can read them: the keys, and in
 * CHANGED_COLUMNS the columns whose values the batch changed for that key (null: any of them may
 * have, as for a new key), which a scope can narrow on (`changed('orders', 'customer_id')`); and
 * the merge's tables of each source (mergeTable), typed like its raw table: one catalog query.
 */
export async function createChangedTables(client: Client, specs: readonly SourceSpec[]): Promise<void> {
  const columns = await columnsOfRelations(client, specs.map(raw));
  await prepareWorkTables(client, specs.flatMap((spec, i) => {
    const all = columns[i]!;
    const keys = spec.primaryKey.map((k) => all.find((c) => c.name === k)!);
    const rowsOf = `${columnDefinitions(all)}, "_parked" boolean`;
    return [
      { name: `changed_${spec.name}`, columns: `${columnDefinitions(keys)}, ${ident(CHANGED_COLUMNS)} text[]` },
      ...(spec.feed.kind === 'changes' ? [{ name: `incoming_${spec.name}`, columns: rowsOf }, { name: `newest_${spec.name}`, columns: rowsOf }] : []),
      ...(versionsOf(spec) ? [{ name: `history_${spec.name}`, columns: rowsOf }] : []),
    ];
  }));
}

/** The columns whose values differ between a new row `n` and the warehouse's `r` (null when there is no `r`: a new key). */
function differingColumns(spec: SourceSpec): string {
  const each = spec.columns.map((c) => `case when n.${ident(c.name)} is distinct from r.${ident(c.name)} then ${literal(c.name)} end`);
  return `case when r.${keyCols(spec)[0]} is null then null else array_remove(array[${each.join(', ')}], null) end`;
}

/**
 * Merges the batch's table of `spec` (`batchSchema.<name>`, absent when the batch has no such file)
 * into raw. Sources must come parents first, so a parent merged by this batch counts as present.
 */
export async function prepareSource(client: Client, spec: SourceSpec, batchSchema: string, batchId: string, inBatch: boolean): Promise<SourceMerge> {
  const result: SourceMerge = { source: spec.name, changed: 0, parked: 0, unparked: 0, stale: 0 };
  const batchTable = `${ident(batchSchema)}.${ident(spec.name)}`;
  const changed = changedTable(spec.name);
  const keys = keyCols(spec).join(', ');

  if (spec.feed.kind === 'reference') {
    if (!inBatch) return result;
    const cols = dataCols(spec).join(', ');
    const diff = await client.query(
      `insert into ${changed} (${keys})
       select distinct ${keys} from ((select ${cols} from ${raw(spec)} except all select ${cols} from ${batchTable})
                                     union all
                                     (select ${cols} from ${batchTable} except all select ${cols} from ${raw(spec)})) d`,
    );
    result.changed = diff.rowCount ?? 0;
    return result;
  }

  const newest = mergeTable('newest', spec);
  if (!inBatch) {
    const { rows } = await client.query('select exists (select 1 from audit.parked_rows where source = $1) as any', [spec.name]);
    if (!rows[0].any) {
      // Nothing to merge; the empty table still answers the parking checks of the children.
      await analyzeTemporary(client, [newest]);
      return result;
    }
  }
  // Candidates: this batch's rows plus every parked row of the source (tried again each batch).
  const incoming = mergeTable('incoming', spec);
  if (inBatch) await client.query(`insert into ${incoming} select b.*, false as _parked from ${batchTable} b`);
  const unparked = await client.query(
    `with parked as (delete from audit.parked_rows where source = $1 returning row_data)
     insert into ${incoming} select (jsonb_populate_record(null::${raw(spec)}, row_data)).*, true from parked`,
    [spec.name],
  );
  result.unparked = unparked.rowCount ?? 0;
  // the statements below join these rows to raw by key: planned with their true number (a lookup
  // per row), not a guess from the page count (raw hashed whole)
  await analyzeTemporary(client, [incoming]);

  const versioned = versionsOf(spec) !== undefined;
  // The newest version of each key: latest effective time (versioned sources), most progress, then
  // a fresh row over a parked one, then the later line.
  await client.query(
    `insert into ${newest}
     select distinct on (${keys}) * from ${incoming} i
      order by ${[keys, ...(versioned ? [`${effectiveOf(spec, 'i')} desc`] : []), ...(hasProgress(spec) ? [`${progressOf(spec, 'i')} desc`] : []), '_parked', `${ident(LINE_COLUMN)} desc`].join(', ')}`,
  );
  await analyzeTemporary(client, [newest]);
  if (versioned) {
    if ((spec.foreignKeys ?? []).some((f) => f.enforcedInSource)) throw new Error(`${spec.name}: a versioned source cannot be parked (it has an enforced foreign key)`);
    // Every version of the batch goes into the history (the later line per key and effective
    // time), unless the history already holds it as it is.
    const history = mergeTable('history', spec);
    const cols = dataCols(spec);
    await client.query(
      `insert into ${history}
       select distinct on (${keys}, ${effectiveOf(spec, 'i')}) * from ${incoming} i
        order by ${keys}, ${effectiveOf(spec, 'i')}, _parked, ${ident(LINE_COLUMN)} desc`,
    );
    await analyzeTemporary(client, [history]);
    await client.query(
      `delete from ${history} n where exists (select 1 from ${rawVersions(spec)} r where ${sameKey(spec, 'r', 'n')}
         and ${effectiveOf(spec, 'r')} = ${effectiveOf(spec, 'n')}
         and (${cols.map((c) => `r.${c}`).join(', ')}) is not distinct from (${cols.map((c) => `n.${c}`).join(', ')}))`,
    );
    const added = await client.query(`insert into ${changed} (${keys}) select distinct ${keys} from ${history}`);
    result.versions = (await client.query(`select count(*)::int as n from ${history}`)).rows[0].n;
    result.changed += added.rowCount ?? 0;
    // A version effective before the current one is history only: the current state stays.
    await client.query(`delete from ${newest} n using ${raw(spec)} r where ${sameKey(spec, 'r', 'n')} and ${effectiveOf(spec, 'r')} > ${effectiveOf(spec, 'n')}`);
  }

  // Rows whose parent is still missing wait in audit.parked_rows.
  for (const fk of (spec.foreignKeys ?? []).filter((f) => f.enforcedInSource)) {
    const match = fk.columns.map((c, i) => `p.${ident(fk.referencedColumns[i]!)} = n.${ident(c)}`).join(' and ');
    // present = in the warehouse, or arriving in this batch (parents are prepared first)
    const parentMissing = `not exists (select 1 from ${RAW_SCHEMA}.${ident(fk.references)} p where ${match})
      and not exists (select 1 from ${mergeTable('newest', fk.references)} p where ${match})`;
    const parked = await client.query(
      `with moved as (delete from ${newest} n where ${parentMissing} returning n.*)
       insert into audit.parked_rows (source, record_key, batch_id, line, row_data)
       select $1, ${recordKey(spec, 'm')}, $2, m.${ident(LINE_COLUMN)}, to_jsonb(m) - '_parked' from moved m
       on conflict do nothing`,
      [spec.name, batchId],
    );
    result.parked += parked.rowCount ?? 0;
  }

  // A version older than the warehouse's (fewer milestones) arrived late: it changes nothing.
  const stale = await client.query(`delete from ${newest} n using ${raw(spec)} r where ${sameKey(spec, 'r', 'n')} and ${progressOf(spec, 'r')} > ${progressOf(spec, 'n')}`);
  result.stale = stale.rowCount ?? 0;
  // The same row sent again changes nothing either.
  const cols = dataCols(spec);
  await client.query(
    `delete from ${newest} n where exists (select 1 from ${raw(spec)} r where ${sameKey(spec, 'r', 'n')}
       and (${cols.map((c) => `r.${c}`).join(', ')}) is not distinct from (${cols.map((c) => `n.${c}`).join(', ')}))`,
  );

  // what the scopes narrow on: which columns each written row changes (a key the history already
  // added stays 'any column')
  const inserted = await client.query(
    `insert into ${changed} (${keys}, ${CHANGED_COLUMNS})
     select ${keyCols(spec).map((k) => `n.${k}`).join(', ')}, ${differingColumns(spec)}
       from ${newest} n left join ${raw(spec)} r on ${sameKey(spec, 'r', 'n')}
      where not exists (select 1 from ${changed} c where ${sameKey(spec, 'c', 'n')})`,
  );
  result.changed += inserted.rowCount ?? 0;
  return result;
}

/** Writes what prepareSource decided into raw (after the incremental scopes saw the old state). */
export async function applySource(client: Client, spec: SourceSpec, batchSchema: string, prepared: SourceMerge): Promise<void> {
  if (prepared.changed === 0) return;
  if (spec.feed.kind === 'reference') {
    await client.query(`delete from ${raw(spec)}`);
    await client.query(`insert into ${raw(spec)} select * from ${ident(batchSchema)}.${ident(spec.name)}`);
    return;
  }
  const newest = mergeTable('newest', spec);
  const cols = [...dataCols(spec), ident(LINE_COLUMN)].join(', ');
  if (versionsOf(spec)) {
    const history = mergeTable('history', spec);
    await client.query(`delete from ${rawVersions(spec)} r using ${history} n where ${sameKey(spec, 'r', 'n')} and ${effectiveOf(spec, 'r')} = ${effectiveOf(spec, 'n')}`);
    // the arrival: this batch's rank among the applied ones (its ledger row commits with it), so
    // type 1 columns can follow the latest version received
    await client.query(`insert into ${rawVersions(spec)} (${cols}, ${ident(ARRIVAL_COLUMN)})
      select ${cols}, (select count(*) + 1 from audit.feed_batches) from ${history}`);
  }
  await client.query(`delete from ${raw(spec)} r using ${newest} n where ${sameKey(spec, 'r', 'n')}`);
  await client.query(`insert into ${raw(spec)} (${cols}) select ${cols} from ${newest}`);
}

/**
 * Measures, for the gate (src/transform/deltas.ts), the raw tables the merge is about to change:
 * the rows of the changed keys (in the table and in its history), or the whole table of a reference
 * file, before applySource; the function it returns measures them again after, and records both.
 */
export async function measureMerge(client: Client, specs: readonly SourceSpec[], merges: readonly SourceMerge[], deltas: BatchDeltas): Promise<() => Promise<void>> {
  const tables = specs.flatMap((spec, i) => (merges[i]!.changed === 0 ? [] : [
    { name: spec.name, rel: raw(spec), spec },
    ...(versionsOf(spec) ? [{ name: versionsTableName(spec), rel: rawVersions(spec), spec }] : []),
  ])).filter((t) => deltas.exprs(t.name).length > 0);
  const rows = (t: (typeof tables)[number]) => (t.spec.feed.kind === 'reference'
    ? `${t.rel} t`
    : `${t.rel} t where (${keyCols(t.spec).map((k) => `t.${k}`).join(', ')}) in (select ${keyCols(t.spec).join(', ')} from ${changedTable(t.spec.name)})`);
  const before: Record<string, unknown>[] = [];
  for (const t of tables) before.push(await deltas.measure(client, t.name, rows(t)));
  // The rows applySource replaces (those of the keys it writes) and the ones it writes instead,
  // kept for a count the gate carries by their values (deltas.ts); a reference file replacing its
  // table is counted whole.
  for (const [i, spec] of specs.entries()) {
    const columns = deltas.columns(spec.name);
    if (merges[i]!.changed === 0 || columns.length === 0 || spec.feed.kind === 'reference') continue;
    const removed = ident(`removed_${spec.name}`);
    const newest = mergeTable('newest', spec);
    await client.query(`create temp table ${removed} on commit drop as
      select ${columns.map((c) => `r.${ident(c)}`).join(', ')} from ${raw(spec)} r where exists (select 1 from ${newest} n where ${sameKey(spec, 'r', 'n')})`);
    deltas.keepRows(spec.name, { removed: `pg_temp.${removed}`, added: newest });
  }
  return async () => {
    for (const [i, t] of tables.entries()) deltas.record(t.name, before[i]!, await deltas.measure(client, t.name, rows(t)));
  };
}

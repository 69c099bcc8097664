/**
 * The work tables of a feed batch (the keys each model's update touched, the rows it deleted and
 * inserted): unlogged tables of their own schema, kept from one batch to the next and emptied at
 * the start of each, where every batch used to create some ninety temporary tables and drop them
 * at commit. Measured on a scale-1 day: creating them took 33-58 ms and dropping them about 16 ms
 * of the commit; emptying the kept tables by `delete` takes about 4 ms (docs/benchmarks.md).
 *
 * A batch holds the warehouse lock (src/db/lock.ts), so no two batches use them at once, and what a
 * batch writes in them commits or rolls back with it; nothing reads them between batches. A table
 * whose columns changed (a model's key type, a kept column more) is made again: its column list is
 * its comment. Unlogged, since nothing in them is worth a WAL record: a crash empties them.
 */
import { ident, literal, type Client } from './connection.ts';

export const WORK_SCHEMA = 'feed_work';
/**
 * Above this many pages (128 kB), a table is emptied by TRUNCATE: `delete` leaves its pages until
 * a vacuum, and the planner reads a table's size off its pages. After a catch-up batch of months,
 * a day's thousand keys looked like tens of thousands (the bench's scale-1 week after its catch-up
 * ran at a 3.5 s median with delete alone, 2.4 s with this). TRUNCATE costs about 1 ms a table
 * where delete costs 0.04 ms, so the few hundred rows of a typical day's tables are deleted.
 */
const TRUNCATE_ABOVE_PAGES = 16;

/** A work table by name, qualified and quoted. */
export const workTable = (name: string): string => `${ident(WORK_SCHEMA)}.${ident(name)}`;

export interface WorkTable {
  name: string;
  /** Column definitions, as in CREATE TABLE: `"order_id" text, "seller_id" text`. */
  columns: string;
}

/** A column as a work table is typed from it: its name and its type as the catalog writes it (`numeric(14,2)`). */
export interface TypedColumn {
  name: string;
  type: string;
}

/**
 * The columns of each relation (qualified names, as written), in order, from one catalog query:
 * what a batch's work tables are typed like. A relation that does not exist has none.
 */
export async function columnsOfRelations(client: Pick<Client, 'query'>, relations: readonly string[]): Promise<TypedColumn[][]> {
  const { rows } = await client.query<{ i: number; name: string; type: string }>(
    `select w.i, a.attname as name, format_type(a.atttypid, a.atttypmod) as type
       from unnest($1::text[]) with ordinality w(rel, i)
       join pg_attribute a on a.attrelid = to_regclass(w.rel) and a.attnum > 0 and not a.attisdropped
      order by w.i, a.attnum`,
    [relations],
  );
  const out: TypedColumn[][] = relations.map(() => []);
  for (const r of rows) out[Number(r.i) - 1]!.push({ name: r.name, type: r.type });
  return out;
}

/** Column definitions, as in CREATE TABLE, of these columns. */
export const columnDefinitions = (columns: readonly TypedColumn[]): string => columns.map((c) => `${ident(c.name)} ${c.type}`).join(', ');

/** Makes sure each table exists with these columns, and empties it: one catalog query, one statement. */
export async function prepareWorkTables(client: Pick<Client, 'query'>, tables: readonly WorkTable[]): Promise<void> {
  const { rows } = await client.query<{ name: string; columns: string | null; pages: number }>(
    `select c.relname as name, obj_description(c.oid, 'pg_class') as columns,
            (pg_relation_size(c.oid) / current_setting('block_size')::int)::int as pages
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relkind = 'r'`,
    [WORK_SCHEMA],
  );
  const have = new Map(rows.map((r) => [r.name, r.columns]));
  const pages = new Map(rows.map((r) => [r.name, Number(r.pages)]));
  const sql = rows.length === 0 ? [`create schema if not exists ${ident(WORK_SCHEMA)}`] : [];
  for (const t of tables) {
    const rel = workTable(t.name);
    const had = have.get(t.name);
    if (had === t.columns) {
      sql.push((pages.get(t.name) ?? 0) > TRUNCATE_ABOVE_PAGES ? `truncate ${rel}` : `delete from ${rel}`);
      continue;
    }
    if (had !== undefined) sql.push(`drop table ${rel}`);
    sql.push(`create unlogged table ${rel} (${t.columns})`, `comment on table ${rel} is ${literal(t.columns)}`);
  }
  await client.query(sql.join(';\n'));
}

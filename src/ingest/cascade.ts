import { ident, inTransaction, type Client, type Pool } from '../db/connection.ts';
import type { ForeignKeySpec, SourceSpec } from '../sources/index.ts';

/**
 * Referential quarantine. When a row is quarantined, the rows of other files that reference it
 * (by a foreign key the source honours, e.g. the items of a quarantined order) cannot load either:
 * they are moved from the raw build to the quarantine with a reason naming the parent, and the
 * file's row accounting is updated, so read = loaded + rejected still holds and the rest of the
 * data publishes. Parents are processed before children, so the quarantine cascades
 * (customer -> its order -> the order's items, payments and reviews).
 *
 * A reference to a key that is simply absent from the source is NOT moved: that is a broken
 * delivery, and the relationships check fails the quality gate for it.
 *
 * Returns the number of rows moved per source.
 */
export async function cascadeQuarantine(pool: Pool, runId: number, sources: readonly SourceSpec[], schema: string): Promise<Map<string, number>> {
  const moved = new Map<string, number>();
  for (const child of parentsFirst(sources)) {
    for (const fk of child.foreignKeys ?? []) {
      const parent = sources.find((s) => s.name === fk.references);
      if (!fk.enforcedInSource || !parent || fk.columns.length !== 1 || !sameKey(parent, fk)) continue;
      const n = await moveOrphans(pool, runId, schema, child, parent, fk);
      if (n > 0) moved.set(child.name, (moved.get(child.name) ?? 0) + n);
    }
  }
  return moved;
}

function sameKey(parent: SourceSpec, fk: ForeignKeySpec): boolean {
  return parent.primaryKey.length === 1 && parent.primaryKey[0] === fk.referencedColumns[0];
}

async function moveOrphans(pool: Pool, runId: number, schema: string, child: SourceSpec, parent: SourceSpec, fk: ForeignKeySpec): Promise<number> {
  const col = ident(fk.columns[0]!);
  const parentCol = ident(fk.referencedColumns[0]!);
  const childKey = child.primaryKey.map((k) => `c.${ident(k)}::text`).join(` || '|' || `);
  const table = `${ident(schema)}.${ident(child.name)}`;
  const reason = `${fk.columns[0]} refers to a quarantined row of ${parent.fileName}`;
  return inTransaction(pool, async (client) => {
    const { rows } = await client.query<{ n: string }>(
      `with orphans as (
         delete from ${table} c
          where c.${col} in (select record_key from audit.rejected_rows where run_id = $1 and source = $2)
            and not exists (select 1 from ${ident(schema)}.${ident(parent.name)} p where p.${parentCol} = c.${col})
         returning c.*, ${childKey} as record_key
       ), quarantined as (
         insert into audit.rejected_rows (run_id, source, file_name, line, column_name, value, reason, record, record_key)
         select $1, $3, $4, o._line, $5, o.${col}, $6, to_jsonb(o) - 'record_key', o.record_key from orphans o
         returning 1
       )
       select count(*) as n from quarantined`,
      [runId, parent.name, child.name, child.fileName, fk.columns[0], reason],
    );
    return movedToQuarantine(client, runId, child.name, Number(rows[0]!.n));
  });
}

/** Rows moved from a loaded table to the quarantine after the load: the file's accounting follows. */
export async function movedToQuarantine(client: Client, runId: number, source: string, n: number): Promise<number> {
  if (n > 0) {
    await client.query(
      'update audit.file_loads set rows_loaded = rows_loaded - $3, rows_rejected = rows_rejected + $3 where run_id = $1 and source = $2',
      [runId, source, n],
    );
  }
  return n;
}

/** Sources ordered so that every referenced source comes before the sources referencing it. */
function parentsFirst(sources: readonly SourceSpec[]): SourceSpec[] {
  const ordered: SourceSpec[] = [];
  const visit = (s: SourceSpec, seen: Set<string>) => {
    if (ordered.includes(s) || seen.has(s.name)) return;
    seen.add(s.name);
    for (const fk of s.foreignKeys ?? []) {
      const parent = sources.find((p) => p.name === fk.references);
      if (parent) visit(parent, seen);
    }
    ordered.push(s);
  };
  for (const s of sources) visit(s, new Set());
  return ordered;
}

import { ident, inTransaction, type Pool } from '../db/connection.ts';
import type { SourceSpec } from '../sources/index.ts';
import { LINE_COLUMN } from './rawTable.ts';
import { movedToQuarantine } from './cascade.ts';
import { fewAtATime } from './fewAtATime.ts';

/** Line numbers listed in a conflicting duplicate's reason (the rest are counted). */
const LINES_SHOWN = 10;

/**
 * Duplicate keys in a file whose key must be unique (`primaryKeyUniqueInSource`), resolved at
 * ingest so that no model ever meets them (the staging primary keys would fail with a bare
 * `could not create unique index`). Per key value:
 *
 * - every copy identical (all columns): the first line is kept, the others are quarantined as
 *   exact duplicates of it, so they are counted in rows_rejected;
 * - copies that disagree: nobody can tell which one is right, so every copy is quarantined with
 *   the lines of all of them. Rows of other files referencing the key then follow them into the
 *   quarantine (cascade.ts), since their parent is gone.
 *
 * Row accounting in audit.file_loads is updated, so read = loaded + rejected still holds.
 * Returns the number of rows moved per source.
 */
export async function quarantineDuplicateKeys(pool: Pool, runId: number, sources: readonly SourceSpec[], schema: string, concurrency = 2): Promise<Map<string, number>> {
  const moved = new Map<string, number>();
  // Files are independent here (each its own table and file_loads row), so they go a few at a time,
  // as their loads did: a group by every key of eight files was 0.7 s of the ingest on one connection.
  const keyed = sources.filter((spec) => spec.primaryKeyUniqueInSource && spec.primaryKey.length > 0);
  await fewAtATime(keyed, concurrency, async (spec) => {
    const n = await moveDuplicates(pool, runId, schema, spec);
    if (n > 0) moved.set(spec.name, n);
  });
  return moved;
}

async function moveDuplicates(pool: Pool, runId: number, schema: string, spec: SourceSpec): Promise<number> {
  const table = `${ident(schema)}.${ident(spec.name)}`;
  const keys = spec.primaryKey.map(ident);
  const keyText = spec.primaryKey.map((k) => `t.${ident(k)}::text`).join(` || '|' || `);
  const keyName = spec.primaryKey.join(', ');
  const line = ident(LINE_COLUMN);
  // Only the rows of repeated keys are compared whole (to_jsonb of every row of every file cost
  // more than the rest of the ingest's SQL); a key column that may be NULL keeps the plain group by,
  // where NULL keys group together.
  const nullableKey = spec.primaryKey.some((k) => spec.columns.find((c) => c.name === k)?.nullable);
  const repeated = nullableKey
    ? table
    : `(select * from ${table} where (${keys.join(', ')}) in (select ${keys.join(', ')} from ${table} group by ${keys.join(', ')} having count(*) > 1))`;
  return inTransaction(pool, async (client) => {
    const { rows } = await client.query<{ n: string }>(
      `with dup as (
         select ${keys.join(', ')}, count(distinct to_jsonb(t) - '${LINE_COLUMN}') as variants,
                min(${line}) as first_line, array_agg(${line} order by ${line}) as lines, count(*) as copies
           from ${repeated} t group by ${keys.join(', ')} having count(*) > 1
       ), moved as (
         delete from ${table} t using dup d
          where ${spec.primaryKey.map((k) => `t.${ident(k)} = d.${ident(k)}`).join(' and ')}
            and (d.variants > 1 or t.${line} <> d.first_line)
         returning t.*, ${keyText} as record_key, d.variants, d.first_line, d.lines, d.copies
       ), quarantined as (
         insert into audit.rejected_rows (run_id, source, file_name, line, column_name, value, reason, record, record_key)
         select $1, $2, $3, m.${line}, $4, m.record_key,
                case when m.variants = 1
                     then 'exact duplicate of line ' || m.first_line || ' (same ${keyName}, same values): kept once'
                     else 'duplicate ${keyName} with conflicting values on lines '
                          || array_to_string(m.lines[1:${LINES_SHOWN}], ', ')
                          || case when m.copies > ${LINES_SHOWN} then ' and ' || (m.copies - ${LINES_SHOWN}) || ' more' else '' end
                          || ': every copy quarantined'
                end,
                (to_jsonb(m) - 'record_key' - 'variants' - 'first_line' - 'lines' - 'copies')::text, m.record_key
           from moved m
         returning 1
       )
       select count(*) as n from quarantined`,
      [runId, spec.name, spec.fileName, keyName],
    );
    return movedToQuarantine(client, runId, spec.name, Number(rows[0]!.n));
  });
}

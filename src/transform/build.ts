import { grantReadSql, SERVED_LAYERS } from '../db/analyst.ts';
import { BUILD_SESSION_SETTINGS, ident, literal, type Pool } from '../db/connection.ts';
import { markStagedSql } from '../db/staged.ts';
import { throwIfInterrupted } from '../db/interrupt.ts';
import type { Logger } from '../log.ts';
import { MODEL_LAYERS, replaceRefs, type Model } from './models.ts';

/** Models are built into `<layer>_build` and become `<layer>` only at publish. */
export const buildSchema = (layer: string): string => `${layer}_build`;

export interface ModelResult {
  model: string;
  layer: string;
  rows: number;
  ms: number;
}

/**
 * `{{ surrogate_key('a', 'b') }}`: a bigint derived from the natural key (64 bits of its md5), in
 * the spirit of dbt_utils.generate_surrogate_key. A key computed from the row itself, not numbered
 * over the table, is what lets an incremental batch insert a row without renumbering the others, and
 * gives a full build and an incremental one the same keys. A collision would fail the primary key.
 */
export function surrogateKeySql(columns: string[]): string {
  return `('x' || substr(md5(concat_ws('|', ${columns.map((c) => `${c}::text`).join(', ')})), 1, 16))::bit(64)::bigint`;
}

const SURROGATE_KEY = /\{\{\s*surrogate_key\(([^)]*)\)\s*\}\}/g;

/** Replaces `{{ ref() }}`, `{{ source() }}` and `{{ surrogate_key() }}` with build-time SQL. */
export function compileModel(model: Model, models: ReadonlyMap<string, Model>, sourceSchema: string, schemaOf: (layer: string) => string = buildSchema): string {
  const withRefs = replaceRefs(model.sql, (name) => {
    const dep = models.get(name);
    if (!dep) throw new Error(`${model.file}: ref('${name}') names no model`);
    return `${ident(schemaOf(dep.layer))}.${ident(name)}`;
  });
  return withRefs
    .replace(SURROGATE_KEY, (_, args: string) => surrogateKeySql(args.split(',').map((a) => a.trim().replace(/^'(.*)'$/, '$1'))))
    .replace(/\{\{\s*source\(\s*'([a-z0-9_]+)'\s*\)\s*\}\}/g, (_, name: string) => `${ident(sourceSchema)}.${ident(name)}`)
    .trim()
    .replace(/;\s*$/, '');
}

/** The DDL of a model's `@primary_key`, `@unique`, `@references` and `@index` headers, in build order. */
export function constraintsDdl(model: Model, models: ReadonlyMap<string, Model>, schemaOf: (layer: string) => string): string[] {
  const table = `${ident(schemaOf(model.layer))}.${ident(model.name)}`;
  const cols = (c: string[]) => c.map(ident).join(', ');
  const ddl: string[] = [];
  if (model.primaryKey) ddl.push(`alter table ${table} add primary key (${cols(model.primaryKey)})`);
  // Checked at the end of each statement rather than row by row: a feed batch rewrites a
  // partition in one statement (src/transform/incremental.ts), where a person's late address
  // period shifts the version numbers of the later ones, which pass through each other's values.
  // No foreign key points to these (a reference needs a key checked row by row): they point to primary keys.
  for (const u of model.unique) ddl.push(`alter table ${table} add unique (${cols(u)}) deferrable initially immediate`);
  // Deferrable so that a feed batch can replace a dimension row before the facts pointing to it
  // (checked at the batch's commit). Foreign keys lock their referenced table until commit; adding them in one global order (by
  // referenced model) means two models built concurrently can wait on each other but never deadlock.
  const references = [...model.references].sort((a, b) => a.model.localeCompare(b.model));
  for (const fk of references) {
    const target = models.get(fk.model);
    if (!target) throw new Error(`${model.file}: @references names no model '${fk.model}'`);
    ddl.push(
      `alter table ${table} add foreign key (${cols(fk.columns)}) references ${ident(schemaOf(target.layer))}.${ident(fk.model)} (${cols(fk.referencedColumns)}) deferrable initially immediate`,
    );
  }
  for (const i of model.indexes) ddl.push(`create index on ${table} (${cols(i.columns)})${i.where ? ` where ${i.where}` : ''}`);
  return ddl;
}

/**
 * Builds every model into fresh build schemas, several at a time: a model starts as soon as every
 * model it refs (or references by foreign key) is built. The published schemas are not touched, so
 * readers keep seeing the previous version and a failure here changes nothing they see.
 */
export async function buildModels(
  pool: Pool,
  models: readonly Model[],
  opts: { sourceSchema: string; log: Logger; runId?: number; concurrency?: number; onModelDone?: (r: ModelResult) => void; schemaOf?: (layer: string) => string },
): Promise<ModelResult[]> {
  const byName = new Map(models.map((m) => [m.name, m]));
  const schemaOf = opts.schemaOf ?? buildSchema;
  const runId = opts.runId ?? 0;
  const mark = (complete: boolean) => MODEL_LAYERS.map((l) => `${markStagedSql(schemaOf(l), complete, runId)};`).join('\n');
  await pool.query(MODEL_LAYERS.map((l) => `drop schema if exists ${ident(schemaOf(l))} cascade; create schema ${ident(schemaOf(l))};`).join('\n') + mark(false));
  const deps = new Map(models.map((m) => [m.name, new Set([...m.refs, ...m.references.map((r) => r.model)].filter((d) => d !== m.name))]));
  const done = new Set<string>();
  const started = new Set<string>();
  const results: ModelResult[] = [];
  let failure: Error | undefined;
  let wake: () => void = () => {};

  const nextReady = (): Model | undefined =>
    models.find((m) => !started.has(m.name) && [...deps.get(m.name)!].every((d) => done.has(d)));

  const worker = async (): Promise<void> => {
    while (!failure && done.size < models.length) {
      const model = nextReady();
      if (!model) {
        if (started.size === models.length) return;
        await new Promise<void>((resolve) => (wake = resolve)); // wait for a running model to finish
        continue;
      }
      started.add(model.name);
      try {
        const result = await buildOne(pool, model, byName, opts.sourceSchema, schemaOf);
        results.push(result);
        done.add(model.name);
        opts.log.info({ step: 'transform', model: model.name, rows: result.rows, ms: result.ms }, 'model built');
        opts.onModelDone?.(result);
      } catch (err) {
        failure ??= new Error(`model ${model.layer}/${model.name} (${model.file}) failed: ${(err as Error).message}`, { cause: err });
      }
      wake();
    }
    wake();
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 2) }, worker));
  if (failure) {
    // Never leave a half-built version staged: `olist publish` must only ever find complete builds.
    await pool.query(MODEL_LAYERS.map((l) => `drop schema if exists ${ident(schemaOf(l))} cascade;`).join('\n')).catch(() => undefined);
    throw failure;
  }
  // The analysts' read access is part of the build: the grants travel with the schemas through
  // the publish's rename, so no published version is ever without them (src/db/analyst.ts).
  await pool.query(SERVED_LAYERS.map((l) => `${grantReadSql(schemaOf(l))};`).join('\n'));
  // Only a build that finished every model may be checked and published.
  await pool.query(mark(true));
  // Report in dependency order whatever order the workers finished in.
  return models.map((m) => results.find((r) => r.model === m.name)!);
}

/**
 * One model in one transaction: the table, its constraints and indexes are all created in the
 * transaction that creates the table, so with wal_level=minimal none of it is WAL-logged.
 */
async function buildOne(pool: Pool, model: Model, byName: ReadonlyMap<string, Model>, sourceSchema: string, schemaOf: (layer: string) => string): Promise<ModelResult> {
  throwIfInterrupted();
  const started = performance.now();
  const table = `${ident(schemaOf(model.layer))}.${ident(model.name)}`;
  const client = await pool.connect();
  try {
    await client.query('begin');
    for (const [name, value] of Object.entries(BUILD_SESSION_SETTINGS)) await client.query(`select set_config($1, $2, true)`, [name, value]);
    const view = model.materialized === 'view';
    const created = await client.query(`create ${view ? 'view' : 'table'} ${table} as\n${compileModel(model, byName, sourceSchema, schemaOf)}`);
    for (const ddl of constraintsDdl(model, byName, schemaOf)) await client.query(ddl);
    if (model.description) await client.query(`comment on ${view ? 'view' : 'table'} ${table} is ${literal(model.description)}`);
    if (!view) await client.query(`analyze ${table}`);
    await client.query('commit');
    return { model: model.name, layer: model.layer, rows: created.rowCount ?? 0, ms: Math.round(performance.now() - started) };
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

import { ident, type Pool } from '../db/connection.ts';
import type { Logger } from '../log.ts';
import { MODEL_LAYERS, type Model } from './models.ts';

/** Models are built into `<layer>_build` and become `<layer>` only at publish. */
export const buildSchema = (layer: string): string => `${layer}_build`;

export interface ModelResult {
  model: string;
  layer: string;
  rows: number;
  ms: number;
}

/** Replaces `{{ ref() }}` and `{{ source() }}` with the build-time schema-qualified names. */
export function compileModel(model: Model, models: ReadonlyMap<string, Model>, sourceSchema: string): string {
  return model.sql
    .replace(/\{\{\s*ref\(\s*'([a-z0-9_]+)'\s*\)\s*\}\}/g, (_, name: string) => {
      const dep = models.get(name);
      if (!dep) throw new Error(`${model.file}: ref('${name}') names no model`);
      return `${ident(buildSchema(dep.layer))}.${ident(name)}`;
    })
    .replace(/\{\{\s*source\(\s*'([a-z0-9_]+)'\s*\)\s*\}\}/g, (_, name: string) => `${ident(sourceSchema)}.${ident(name)}`)
    .trim()
    .replace(/;\s*$/, '');
}

function constraintsDdl(model: Model, models: ReadonlyMap<string, Model>): string[] {
  const table = `${ident(buildSchema(model.layer))}.${ident(model.name)}`;
  const cols = (c: string[]) => c.map(ident).join(', ');
  const ddl: string[] = [];
  if (model.primaryKey) ddl.push(`alter table ${table} add primary key (${cols(model.primaryKey)})`);
  for (const u of model.unique) ddl.push(`alter table ${table} add unique (${cols(u)})`);
  for (const fk of model.references) {
    const target = models.get(fk.model);
    if (!target) throw new Error(`${model.file}: @references names no model '${fk.model}'`);
    ddl.push(
      `alter table ${table} add foreign key (${cols(fk.columns)}) references ${ident(buildSchema(target.layer))}.${ident(fk.model)} (${cols(fk.referencedColumns)})`,
    );
  }
  for (const i of model.indexes) ddl.push(`create index on ${table} (${cols(i)})`);
  return ddl;
}

/**
 * Builds every model, in dependency order, into fresh build schemas. The published schemas are not
 * touched, so readers keep seeing the previous version and a failure here changes nothing they see.
 */
export async function buildModels(
  pool: Pool,
  models: readonly Model[],
  opts: { sourceSchema: string; log: Logger; onModelDone?: (r: ModelResult) => void },
): Promise<ModelResult[]> {
  const byName = new Map(models.map((m) => [m.name, m]));
  await pool.query(MODEL_LAYERS.map((l) => `drop schema if exists ${buildSchema(l)} cascade; create schema ${buildSchema(l)};`).join('\n'));
  const results: ModelResult[] = [];
  const client = await pool.connect();
  try {
    for (const model of models) {
      const started = performance.now();
      const table = `${ident(buildSchema(model.layer))}.${ident(model.name)}`;
      try {
        const created = await client.query(`create table ${table} as\n${compileModel(model, byName, opts.sourceSchema)}`);
        for (const ddl of constraintsDdl(model, byName)) await client.query(ddl);
        if (model.description) await client.query(`comment on table ${table} is '${model.description.replaceAll("'", "''")}'`);
        await client.query(`analyze ${table}`);
        const result = { model: model.name, layer: model.layer, rows: created.rowCount ?? 0, ms: Math.round(performance.now() - started) };
        results.push(result);
        opts.log.info({ step: 'transform', model: model.name, rows: result.rows, ms: result.ms }, 'model built');
        opts.onModelDone?.(result);
      } catch (err) {
        throw new Error(`model ${model.layer}/${model.name} (${model.file}) failed: ${(err as Error).message}`, { cause: err });
      }
    }
  } finally {
    client.release();
  }
  return results;
}

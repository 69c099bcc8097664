import fs from 'node:fs/promises';
import path from 'node:path';
import { projectPath } from '../paths.ts';

/** The layers built from models, in the order data flows through them. */
export const MODEL_LAYERS = ['staging', 'warehouse', 'marts'] as const;
export type ModelLayer = (typeof MODEL_LAYERS)[number];

export interface ForeignKey {
  columns: string[];
  model: string;
  referencedColumns: string[];
}

/** One `sql/models/<layer>/<name>.sql` file: a select statement plus its header directives. */
export interface Model {
  name: string;
  layer: ModelLayer;
  file: string;
  sql: string;
  /**
   * `-- @materialized: view` makes the model a view instead of a table: it is built into the same
   * build schema and published by the same swap (a view binds its tables by identity, so it follows
   * them through the rename), and the feed never updates it (it reads the updated tables).
   */
  materialized: 'table' | 'view';
  description?: string;
  primaryKey?: string[];
  unique: string[][];
  /** `@index: a, b` or `@index: a, b where <predicate>` (a partial index: the rows a query walks, such as the people with a revenue order). */
  indexes: { columns: string[]; where?: string }[];
  references: ForeignKey[];
  /**
   * How a batch of the daily feed updates the model in place (src/transform/incremental.ts):
   * `key` is the column whose values partition its rows (all rows with one value are recomputed
   * together), `scopes` are queries returning the values a batch touches. Without `key` the model
   * is recomputed whole and diffed when anything upstream changed (small and reference tables).
   */
  incremental?: { key: string; scopes: string[] };
  /** For a model recomputed whole: a query returning whether this batch can change it at all (skipped when false). */
  incrementalWhen?: string;
  /**
   * `-- @incremental_additive: <model>`: the model sums the rows of that one ref (its only input),
   * grouped by its primary key, so a batch updates it by adding what the batch inserted there and
   * subtracting what it deleted, whatever the size of the groups (src/transform/incremental.ts).
   * Every numeric column outside the primary key is a sum or count of non-null values (a numeric
   * attribute belongs in the key); its other columns depend on the key only; a row whose numeric
   * columns all come to zero has no rows left upstream.
   */
  incrementalAdditive?: string;
  /**
   * The query a feed batch recomputes a whole model with, when the model's SQL has a
   * `{% if is_incremental() %} ... {% else %} ... {% endif %}` block (as in dbt): the first branch
   * is the feed's, the second the full build's (`sql`). The feed's branch may read the model's
   * current rows, `{{ this }}`, and the rows a partitioned ref's update removed and added in this
   * batch, `{{ removed('<ref>') }}` and `{{ added('<ref>') }}`: a model that follows its inputs'
   * change instead of reading them whole (customer_rfm_cuts moves each cut by the people a batch
   * moved past it).
   */
  incrementalSql?: string;
  /** Other directives (e.g. quality tests) kept verbatim for the modules that read them. */
  directives: { key: string; value: string }[];
  refs: string[];
  sources: string[];
}

const REF = /\{\{\s*ref\(\s*'([a-z0-9_]+)'\s*\)\s*\}\}/g;

/** The SQL with every `{{ ref('name') }}` replaced by what `to` returns for it (the compiler, the feed's rewrites). */
export function replaceRefs(sql: string, to: (name: string, whole: string) => string): string {
  return sql.replace(REF, (whole, name: string) => to(name, whole));
}
const SOURCE = /\{\{\s*source\(\s*'([a-z0-9_]+)'\s*\)\s*\}\}/g;
const DIRECTIVE = /^--\s*@([a-z_]+)\s*:\s*(.+?)\s*$/;
const FK = /^([a-z0-9_,\s]+?)\s*->\s*([a-z0-9_]+)\s*\(([a-z0-9_,\s]+)\)$/;

const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);

/** The SQL without its leading comment block (the header of directives). */
function bodyOf(sql: string): string {
  const lines = sql.split('\n');
  const start = lines.findIndex((l) => l.trim() !== '' && !l.trim().startsWith('--'));
  return start < 0 ? '' : lines.slice(start).join('\n');
}

const IF_INCREMENTAL = /\{%\s*if\s+is_incremental\(\)\s*%\}([\s\S]*?)\{%\s*else\s*%\}([\s\S]*?)\{%\s*endif\s*%\}/g;
/** `{{ removed('m') }}`, `{{ added('m') }}`: in a feed branch, the rows of a partitioned ref the batch's update removed and added. */
export const CHANGE_ROWS = /\{\{\s*(removed|added)\(\s*'([a-z0-9_]+)'\s*\)\s*\}\}/g;
export const THIS = /\{\{\s*this\s*\}\}/;

/** The full build's query and the feed's, from a model file with or without an is_incremental() block. */
function branches(file: string, sql: string): { full: string; feed?: string } {
  if (!new RegExp(IF_INCREMENTAL.source).test(sql)) {
    if (/\{%/.test(sql)) throw new Error(`${file}: the only block a model takes is {% if is_incremental() %} ... {% else %} ... {% endif %}`);
    if (THIS.test(sql) || new RegExp(CHANGE_ROWS.source).test(bodyOf(sql))) throw new Error(`${file}: {{ this }}, removed() and added() belong in the {% if is_incremental() %} branch`);
    return { full: sql };
  }
  const full = sql.replace(IF_INCREMENTAL, (_, _feed: string, whole: string) => whole);
  const feed = sql.replace(IF_INCREMENTAL, (_, incremental: string) => incremental);
  if (/\{%/.test(full) || THIS.test(full) || new RegExp(CHANGE_ROWS.source).test(bodyOf(full))) {
    throw new Error(`${file}: {% if is_incremental() %} blocks each with an {% else %} and an {% endif %}, and {{ this }}, removed() and added() in their first branch only`);
  }
  return { full, feed };
}

export function parseModel(file: string, layer: ModelLayer, text: string): Model {
  const { full: sql, feed } = branches(file, text);
  const both = bodyOf(sql) + (feed ? bodyOf(feed) : '');
  const model: Model = {
    name: path.basename(file, '.sql'), layer, file, sql, materialized: 'table', unique: [], indexes: [], references: [], directives: [],
    ...(feed ? { incrementalSql: feed } : {}),
    // Dependencies come from the query, not the header: a header's scope query may read the model itself.
    refs: [...new Set([...[...both.matchAll(REF)].map((m) => m[1]!), ...[...(feed ? bodyOf(feed) : '').matchAll(CHANGE_ROWS)].map((m) => m[2]!)])],
    sources: [...new Set([...both.matchAll(SOURCE)].map((m) => m[1]!))],
  };
  for (const line of sql.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' ) continue;
    if (!trimmed.startsWith('--')) break; // directives only in the leading comment block
    const m = DIRECTIVE.exec(trimmed);
    if (!m) continue;
    const [, key, value] = m as unknown as [string, string, string];
    switch (key) {
      case 'primary_key': model.primaryKey = list(value); break;
      case 'unique': model.unique.push(list(value)); break;
      case 'index': {
        const [columns, where] = value.split(/\s+where\s+/i) as [string, string | undefined];
        model.indexes.push({ columns: list(columns), ...(where ? { where } : {}) });
        break;
      }
      case 'description': model.description = value; break;
      case 'materialized':
        if (value !== 'table' && value !== 'view') throw new Error(`${file}: '@materialized: ${value}' must be 'table' or 'view'`);
        model.materialized = value;
        break;
      case 'references': {
        const fk = FK.exec(value);
        if (!fk) throw new Error(`${file}: '@references: ${value}' must look like 'col -> model(col)'`);
        model.references.push({ columns: list(fk[1]!), model: fk[2]!, referencedColumns: list(fk[3]!) });
        break;
      }
      case 'incremental': model.incremental = { key: value, scopes: model.incremental?.scopes ?? [] }; break;
      case 'incremental_when': model.incrementalWhen = value; break;
      case 'incremental_additive': model.incrementalAdditive = value; break;
      case 'incremental_scope':
        if (!model.incremental) throw new Error(`${file}: '@incremental_scope' needs an '@incremental: <key column>' line before it`);
        model.incremental.scopes.push(value);
        break;
      default: model.directives.push({ key, value });
    }
  }
  if (model.incrementalAdditive) {
    const only = model.refs.length === 1 && model.refs[0] === model.incrementalAdditive && model.sources.length === 0;
    if (!only) throw new Error(`${file}: '@incremental_additive: ${model.incrementalAdditive}' needs a model reading that ref and nothing else (a join would make the batch's change of one input wrong)`);
    if (!model.primaryKey) throw new Error(`${file}: '@incremental_additive' needs a '@primary_key' (the groups the sums are added to)`);
    if (model.incremental || model.incrementalWhen) throw new Error(`${file}: '@incremental_additive' replaces '@incremental' and '@incremental_when'`);
  }
  if (model.incrementalSql && (model.incremental || model.incrementalAdditive)) {
    throw new Error(`${file}: an is_incremental() branch is the query of a model recomputed whole; it replaces '@incremental' and '@incremental_additive'`);
  }
  if (model.materialized === 'view' && (model.incrementalSql || model.primaryKey || model.unique.length || model.indexes.length || model.references.length || model.incremental || model.incrementalWhen || model.incrementalAdditive)) {
    throw new Error(`${file}: a view has no keys, indexes or feed directives of its own (declare the indexes its queries need on the tables it reads)`);
  }
  return model;
}

/** Reads every model and returns them in dependency order (each after the models it refs). */
export async function loadModels(root = projectPath('sql', 'models')): Promise<Model[]> {
  const models: Model[] = [];
  for (const layer of MODEL_LAYERS) {
    const dir = path.join(root, layer);
    const files = (await fs.readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.sql')).sort();
    for (const f of files) models.push(parseModel(path.join(dir, f), layer, await fs.readFile(path.join(dir, f), 'utf8')));
  }
  return sortByDependencies(models);
}

export function sortByDependencies(models: Model[]): Model[] {
  const byName = new Map<string, Model>();
  for (const m of models) {
    if (byName.has(m.name)) throw new Error(`two models are named '${m.name}': ${byName.get(m.name)!.file} and ${m.file}`);
    byName.set(m.name, m);
  }
  const ordered: Model[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (m: Model, chain: string[]): void => {
    if (state.get(m.name) === 'done') return;
    if (state.get(m.name) === 'visiting') throw new Error(`models depend on each other in a cycle: ${[...chain, m.name].join(' -> ')}`);
    state.set(m.name, 'visiting');
    for (const r of m.refs) {
      const dep = byName.get(r);
      if (!dep) throw new Error(`${m.file}: ref('${r}') names no model`);
      // The feed updates tables from tables; a view has no partitions to say what a batch touched.
      if (dep.materialized === 'view' && m.materialized === 'table') throw new Error(`${m.file}: a table model cannot ref the view '${r}'`);
      // the batch's change of a partitioned model is the rows of its recomputed partitions, before and after
      if (m.incrementalAdditive === r && !dep.incremental) throw new Error(`${m.file}: '@incremental_additive: ${r}' needs '${r}' to be partitioned ('@incremental: <key>')`);
      visit(dep, [...chain, m.name]);
    }
    state.set(m.name, 'done');
    ordered.push(m);
  };
  for (const m of models) visit(m, []);
  return ordered;
}

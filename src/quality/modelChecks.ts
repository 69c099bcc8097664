import path from 'node:path';
import { projectPath } from '../paths.ts';
import type { Model } from '../transform/models.ts';
import { compileTest, type Compiled, type TestTarget } from './compile.ts';
import { parseTest, TestSyntaxError } from './grammar.ts';

/** Columns naming a row of a model in samples: the natural key (first @unique) over a surrogate `*_key`. */
export function modelKeyColumns(model: Model): string[] {
  const pk = model.primaryKey ?? [];
  const surrogate = pk.length === 1 && pk[0]!.endsWith('_key');
  if (surrogate && model.unique[0]) return model.unique[0];
  return pk.length ? pk : (model.unique[0] ?? []);
}

/** Compiles every `-- @test:` line of the models' headers. A malformed line is an error naming its file. */
export function modelChecks(models: readonly Model[]): Compiled[] {
  const jobs: Compiled[] = [];
  for (const model of models) {
    const target: TestTarget = {
      type: 'ref',
      name: model.name,
      layer: model.layer,
      keyColumns: modelKeyColumns(model),
      hasLine: false,
      declaredIn: path.relative(projectPath(), model.file),
      references: model.references,
    };
    for (const d of model.directives) {
      if (d.key !== 'test') continue;
      try {
        jobs.push(...compileTest(parseTest(d.value), target));
      } catch (err) {
        if (err instanceof TestSyntaxError) throw new TestSyntaxError(`${target.declaredIn}: ${err.message}`);
        throw new Error(`${target.declaredIn}: ${(err as Error).message}`);
      }
    }
  }
  return jobs;
}

import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { test } from 'node:test';
import { renderDataDictionary } from '../../src/docs/dataDictionary.ts';
import { projectPath } from '../../src/paths.ts';
import { loadModels } from '../../src/transform/models.ts';

test('docs/data-dictionary.md is up to date with the specs and models (run `npm run olist -- docs`)', async () => {
  const committed = await fs.readFile(projectPath('docs', 'data-dictionary.md'), 'utf8');
  assert.equal(committed, renderDataDictionary(await loadModels()));
});

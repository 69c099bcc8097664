import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AliasTable, Random, scaleCounts, Urn } from '../../src/generate/random.ts';

test('same seed and label give the same stream; other seeds or labels differ', () => {
  const a = new Random(42, 'x');
  const b = new Random(42, 'x');
  const seqA = Array.from({ length: 50 }, () => a.u32());
  assert.deepEqual(seqA, Array.from({ length: 50 }, () => b.u32()));
  const c = new Random(43, 'x');
  const d = new Random(42, 'y');
  assert.notDeepEqual(seqA, Array.from({ length: 50 }, () => c.u32()));
  assert.notDeepEqual(seqA, Array.from({ length: 50 }, () => d.u32()));
});

test('floats are uniform in [0, 1) and ids are 32 lowercase hex characters', () => {
  const r = new Random(1);
  let sum = 0;
  for (let i = 0; i < 100_000; i++) {
    const x = r.float();
    assert.ok(x >= 0 && x < 1);
    sum += x;
  }
  assert.ok(Math.abs(sum / 100_000 - 0.5) < 0.01);
  const ids = new Set(Array.from({ length: 10_000 }, () => r.hexId()));
  assert.equal(ids.size, 10_000);
  for (const id of ids) assert.match(id, /^[0-9a-f]{32}$/);
});

test('normal and log-normal have the requested centre and spread', () => {
  const r = new Random(7);
  const xs = Array.from({ length: 50_000 }, () => r.normal());
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
  assert.ok(Math.abs(mean) < 0.02, `mean ${mean}`);
  assert.ok(Math.abs(sd - 1) < 0.02, `sd ${sd}`);
  const ln = Array.from({ length: 50_001 }, () => r.lognormal(75, 0.9)).sort((a, b) => a - b);
  assert.ok(Math.abs(ln[25_000]! - 75) < 2.5, `median ${ln[25_000]}`);
});

test('alias tables draw with the given weights', () => {
  const r = new Random(3);
  const t = new AliasTable([1, 2, 7]);
  const counts = [0, 0, 0];
  for (let i = 0; i < 100_000; i++) counts[t.draw(r)]!++;
  assert.ok(Math.abs(counts[0]! / 100_000 - 0.1) < 0.01);
  assert.ok(Math.abs(counts[2]! / 100_000 - 0.7) < 0.01);
});

test('urns give exact totals; scaleCounts keeps the total exact', () => {
  const r = new Random(5);
  const u = new Urn(['a', 'b', 'c'], [5, 0, 3]);
  const got: string[] = [];
  while (u.left > 0) got.push(u.draw(r));
  assert.equal(got.filter((x) => x === 'a').length, 5);
  assert.equal(got.filter((x) => x === 'c').length, 3);
  assert.throws(() => u.draw(r), /empty/);
  const refused = new Urn(['x', 'y'], [1, 1]);
  assert.equal(refused.draw(r, (v) => v === 'y'), 'y');
  assert.deepEqual(scaleCounts([96_478, 1_107, 5], 97_590), [96_478, 1_107, 5]);
  const s = scaleCounts([96_478, 1_107, 625, 609, 5], 995);
  assert.equal(s.reduce((a, b) => a + b, 0), 995);
  assert.ok(s[0]! >= 971 && s[0]! <= 972, `scaled ${s[0]}`);
});

/**
 * Standalone entry for the generator (the `olist generate` command wraps the same function):
 *   npx tsx src/generate/main.ts --scale 1 --seed 42 --out /tmp/olist-gen [--reference-dir DIR | --synthetic]
 */
import { parseArgs } from 'node:util';
import { generateDataset } from './generate.ts';

const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    seed: { type: 'string', default: '42' },
    out: { type: 'string' },
    'reference-dir': { type: 'string' },
    synthetic: { type: 'boolean', default: false },
  },
});
if (!values.out) {
  console.error('usage: main.ts --scale S --seed N --out DIR [--reference-dir DIR | --synthetic]');
  process.exit(2);
}
const summary = await generateDataset({
  scale: Number(values.scale),
  seed: Number(values.seed),
  outDir: values.out,
  referenceDir: values.synthetic ? '' : values['reference-dir'],
});
// Peak resident set size of this process (resourceUsage reports kilobytes).
const rss = Math.round(process.resourceUsage().maxRSS / 1024);
console.log(JSON.stringify({ ...summary, maxRssMB: rss }, null, 2));
console.error(`generated SYNTHETIC data in ${summary.outDir} (${summary.totalRows} rows, ${(summary.elapsedMs / 1000).toFixed(1)} s, peak rss ${rss} MB)`);

import type { Context } from './context.ts';
import { createProgress, type Progress } from './progress.ts';
import { audited, checkStep, ingestStep, publishStep, transformStep, type FileSummary } from './steps.ts';

export interface RunSummary {
  runId: number;
  files: FileSummary[];
  models: number;
  gate: { passed: boolean; checks: number; warnings: number; ms: number };
  layers: string[];
  timings: { ingestMs: number; transformMs: number; checkMs: number; publishMs: number };
}

/**
 * The whole job under one lock and one audit run: ingest -> build models -> quality gate -> publish.
 * Any failure before publish leaves the published warehouse exactly as it was.
 */
export async function runPipeline(ctx: Context, dataDir: string, progress: Progress = createProgress('silent')): Promise<RunSummary> {
  const { runId, result } = await audited(ctx, 'run', dataDir, async (runId) => {
    const t0 = performance.now();
    try {
      const files = await ingestStep(ctx, runId, dataDir, progress);
      const t1 = performance.now();
      const models = await transformStep(ctx, runId, progress);
      const t2 = performance.now();
      const gate = await checkStep(ctx, runId, true);
      const t3 = performance.now();
      const published = await publishStep(ctx, runId, gate);
      const t4 = performance.now();
      const ms = (a: number, b: number) => Math.round(b - a);
      return {
        files,
        models: models.length,
        gate: { passed: gate.passed, checks: gate.results.length, warnings: gate.results.filter((r) => r.status === 'warn').length, ms: ms(t2, t3) },
        layers: published.layers,
        timings: { ingestMs: ms(t0, t1), transformMs: ms(t1, t2), checkMs: ms(t2, t3), publishMs: ms(t3, t4) },
      };
    } finally {
      progress.stop();
    }
  });
  return { runId, ...result };
}

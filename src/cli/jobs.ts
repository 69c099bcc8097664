/**
 * `olist job reserve|release`: the warehouse reservation of a multi-step job (src/db/reservation.ts).
 * Airflow's full-load DAGs reserve at their first task and release in a teardown task; every call
 * in between carries the same OLIST_JOB_ID, and every other job is refused with exit 75 meanwhile.
 */
import type { Command } from 'commander';
import { withWarehouseLock } from '../db/lock.ts';
import { release, reserve } from '../db/reservation.ts';
import { openContext } from '../pipeline/context.ts';
import type { CommandAction } from './airflow.ts';

function jobIdOf(opts: { id?: string }, configured: string | undefined): string {
  const id = opts.id ?? configured;
  if (!id) throw new Error('a job id is needed: --id ID or OLIST_JOB_ID');
  return id;
}

export function registerJobCommands(program: Command, action: CommandAction): void {
  const job = program.command('job').description('reserve the warehouse for a job made of several calls (orchestrators), and release it');
  job
    .command('reserve')
    .description('reserve the warehouse for job ID (default OLIST_JOB_ID) until `job release` or the TTL; exit 75 while another job holds it')
    .option('--id <id>', 'the job (default OLIST_JOB_ID)')
    .option('--ttl-minutes <n>', 'the reservation ends by itself after this long', '240')
    .action(
      action(async ({ config, log, out }, opts: { id?: string; ttlMinutes: string }) => {
        const id = jobIdOf(opts, config.jobId);
        const ttl = Number(opts.ttlMinutes);
        if (!Number.isInteger(ttl) || ttl < 1) throw new Error('--ttl-minutes must be a positive integer');
        const ctx = await openContext(config, log);
        try {
          // Under the lock: a reservation never starts in the middle of another job's call.
          const r = await withWarehouseLock(ctx.db.pool, () => reserve(ctx.db.pool, id, ttl));
          log.info({ jobId: id, expiresAt: r.expiresAt }, 'warehouse reserved');
          out.result({ ok: true, ...r }, () => `warehouse reserved for ${r.jobId} until ${r.expiresAt} (or \`olist job release\`)`);
        } finally {
          await ctx.db.close();
        }
      }),
    );
  job
    .command('release')
    .description('end the reservation of job ID (default OLIST_JOB_ID); a no-op when it holds none')
    .option('--id <id>', 'the job (default OLIST_JOB_ID)')
    .action(
      action(async ({ config, log, out }, opts: { id?: string }) => {
        const id = jobIdOf(opts, config.jobId);
        const ctx = await openContext(config, log);
        try {
          const released = await release(ctx.db.pool, id);
          out.result({ ok: true, jobId: id, released }, () => (released ? `released the reservation of ${id}` : `${id} held no reservation`));
        } finally {
          await ctx.db.close();
        }
      }),
    );
}

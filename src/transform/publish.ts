import { inTransaction, type Client, type Pool } from '../db/connection.ts';
import type { Logger } from '../log.ts';
import { throwIfInterrupted } from '../db/interrupt.ts';

/**
 * How long the swap may wait for readers. While it waits for a lock every new reader of that
 * schema queues behind it, so each attempt waits at most `lockTimeoutMs`; between attempts the
 * queued readers run. After `attempts` the publish fails and nothing changes.
 */
export interface PublishLockPolicy {
  lockTimeoutMs: number;
  attempts: number;
  pauseMs: number;
}

export const PUBLISH_LOCK_POLICY: PublishLockPolicy = { lockTimeoutMs: 1_000, attempts: 10, pauseMs: 1_000 };

export class PublishBlockedError extends Error {}

const LOCK_NOT_AVAILABLE = '55P03';

/**
 * Swaps built schemas in for the published ones in ONE transaction: readers see either the whole
 * previous version or the whole new one, never a mix. Each `<layer>_build` becomes `<layer>` and the
 * previous `<layer>` is dropped. A reader holding a lock on a published table holds the swap
 * back: each attempt waits at most `lockTimeoutMs` (so readers queued behind it wait no longer),
 * then rolls back, pauses and retries.
 */
export async function publishLayers(
  pool: Pool,
  layers: readonly { published: string; build: string }[],
  record?: (client: Client) => Promise<void>,
  opts: { policy?: PublishLockPolicy; log?: Logger } = {},
): Promise<void> {
  const policy = opts.policy ?? PUBLISH_LOCK_POLICY;
  for (let attempt = 1; ; attempt++) {
    throwIfInterrupted();
    try {
      await inTransaction(pool, async (client) => {
        await client.query(`set local lock_timeout = '${policy.lockTimeoutMs}ms'`);
        for (const { published, build } of layers) {
          const old = `${published}_previous`;
          await client.query(`drop schema if exists ${old} cascade`);
          await client.query(`alter schema ${published} rename to ${old}`);
          await client.query(`alter schema ${build} rename to ${published}`);
          await client.query(`drop schema ${old} cascade`);
        }
        await record?.(client);
      });
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== LOCK_NOT_AVAILABLE) throw err;
      const blockers = await lockHolders(pool, layers.map((l) => l.published)).catch(() => '');
      if (attempt >= policy.attempts) {
        throw new PublishBlockedError(
          `readers kept a lock on the published schemas through ${policy.attempts} attempts of ${policy.lockTimeoutMs} ms${blockers ? ` (${blockers})` : ''}; nothing was published, the staged build is kept: retry \`olist publish\``,
          { cause: err },
        );
      }
      opts.log?.warn({ step: 'publish', attempt, blockers }, 'publish waits for readers');
      await new Promise((r) => setTimeout(r, policy.pauseMs));
    }
  }
}

/** Sessions holding locks on tables of the given schemas (for the message). */
async function lockHolders(pool: Pool, schemas: string[]): Promise<string> {
  const { rows } = await pool.query<{ pid: number; app: string | null; rel: string }>(
    `select distinct l.pid, a.application_name as app, n.nspname || '.' || c.relname as rel
       from pg_locks l join pg_class c on c.oid = l.relation join pg_namespace n on n.oid = c.relnamespace
       left join pg_stat_activity a on a.pid = l.pid
      where l.granted and n.nspname = any($1) and c.relkind in ('r', 'p', 'v', 'm') and l.pid <> pg_backend_pid()
      order by 1 limit 5`,
    [schemas],
  );
  return rows.map((r) => `pid ${r.pid}${r.app ? ` (${r.app})` : ''} on ${r.rel}`).join(', ');
}

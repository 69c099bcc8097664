import { inTransaction, type Pool } from '../db/connection.ts';

/**
 * Swaps built schemas in for the published ones in ONE transaction: readers see either the whole
 * previous version or the whole new one, never a mix. Each `<layer>_build` becomes `<layer>` and the
 * previous `<layer>` is dropped. Waiting readers hold us back at most `lock_timeout`.
 */
export async function publishLayers(
  pool: Pool,
  layers: readonly { published: string; build: string }[],
  record?: (client: import('../db/connection.ts').Client) => Promise<void>,
): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query("set local lock_timeout = '60s'");
    for (const { published, build } of layers) {
      const old = `${published}_previous`;
      await client.query(`drop schema if exists ${old} cascade`);
      await client.query(`alter schema ${published} rename to ${old}`);
      await client.query(`alter schema ${build} rename to ${published}`);
      await client.query(`drop schema ${old} cascade`);
    }
    await record?.(client);
  });
}

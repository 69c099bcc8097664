import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { analystUrl } from '../../src/db/analyst.ts';
import { openContext } from '../../src/pipeline/context.ts';
import { createTestDatabase, quietLogger } from './db.ts';

/** A fresh database whose context manages an analyst login of its own (roles are cluster-wide, so the name is the database's). */
export async function openAnalystWarehouse(label: string) {
  const db = await createTestDatabase(label);
  const analyst = { OLIST_ANALYST_USER: `a_${db.name}`, OLIST_ANALYST_PASSWORD: randomBytes(12).toString('hex') };
  const config = db.config(analyst);
  const ctx = await openContext(config, quietLogger());
  const url = await analystUrl(config);
  const close = async () => {
    await ctx.db.close();
    await db.drop();
    // the login goes with its database; the reader group stays (shared by every database of the server)
    const admin = new pg.Client({ connectionString: db.url.replace(/\/[^/]*$/, '/postgres') });
    await admin.connect().then(() => admin.query(`drop role if exists ${analyst.OLIST_ANALYST_USER}`)).finally(() => admin.end()).catch(() => undefined);
  };
  return { db, ctx, analyst, url, close };
}

/** Runs one statement as the analyst, on a connection of its own; returns the rows or the error code. */
export async function asAnalyst(url: string, sql: string, opts: { readWrite?: boolean } = {}): Promise<{ rows?: Record<string, unknown>[]; code?: string }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // A session may lift the read-only default (it is a default, not a privilege).
    if (opts.readWrite) await client.query('set session characteristics as transaction read write');
    return { rows: (await client.query(sql)).rows };
  } catch (err) {
    return { code: (err as { code?: string }).code ?? 'no code' };
  } finally {
    await client.end();
  }
}

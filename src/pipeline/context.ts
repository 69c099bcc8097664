import type { Config } from '../config.ts';
import { connect, type Database } from '../db/connection.ts';
import { ensureAnalystAccess, type AnalystAccess } from '../db/analyst.ts';
import { migrate } from '../db/migrate.ts';
import type { Logger } from '../log.ts';

export interface Context {
  config: Config;
  log: Logger;
  db: Database;
}

/**
 * Connects (starting the embedded server if needed), applies pending migrations and sets up the
 * read-only analyst access (what `olist migrate` does).
 */
export async function openContext(config: Config, log: Logger): Promise<Context> {
  const db = await connect(config, log);
  try {
    await migrateDatabase(db, config, log);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return { config, log, db };
}

/** `olist migrate`: the migrations, then the analyst roles and their grants. */
export async function migrateDatabase(db: Database, config: Config, log: Logger): Promise<{ applied: string[]; analyst: AnalystAccess }> {
  const applied = await migrate(db.pool, log);
  const analyst = await ensureAnalystAccess(db.pool, config, log);
  return { applied, analyst };
}

import type { Config } from '../config.ts';
import { connect, type Database } from '../db/connection.ts';
import { migrate } from '../db/migrate.ts';
import type { Logger } from '../log.ts';

export interface Context {
  config: Config;
  log: Logger;
  db: Database;
}

/** Connects (starting the embedded server if needed) and applies pending migrations. */
export async function openContext(config: Config, log: Logger): Promise<Context> {
  const db = await connect(config, log);
  await migrate(db.pool, log);
  return { config, log, db };
}

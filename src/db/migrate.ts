import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log.ts';
import { inTransaction, type Pool } from './connection.ts';
import { projectPath } from '../paths.ts';

export interface Migration {
  version: string;
  name: string;
  sql: string;
  checksum: string;
}

const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** Reads `sql/migrations/NNNN_name.sql` in version order. */
export async function readMigrations(dir = projectPath('sql', 'migrations')): Promise<Migration[]> {
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  return Promise.all(
    files.map(async (file) => {
      const m = FILE_PATTERN.exec(file);
      if (!m) throw new Error(`migration file name '${file}' must look like 0001_name.sql`);
      const sql = await fs.readFile(path.join(dir, file), 'utf8');
      return { version: m[1]!, name: m[2]!, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

/**
 * Applies pending migrations, each in its own transaction, recorded in public.schema_migrations.
 * An applied migration whose file changed is an error: migrations are append-only history.
 */
export async function migrate(pool: Pool, log: Logger): Promise<string[]> {
  const migrations = await readMigrations();
  await pool.query(`create table if not exists public.schema_migrations (
      version text primary key, name text not null, checksum text not null,
      applied_at timestamptz not null default now())`);
  const applied: string[] = [];
  await inTransaction(pool, async (client) => {
    // Serialise concurrent migrators (a transaction-level lock, released at commit).
    await client.query('select pg_advisory_xact_lock(7146152)');
    const { rows } = await client.query<{ version: string; checksum: string }>('select version, checksum from public.schema_migrations');
    const done = new Map(rows.map((r) => [r.version, r.checksum]));
    for (const m of migrations) {
      const previous = done.get(m.version);
      if (previous !== undefined) {
        if (previous !== m.checksum) {
          throw new Error(`migration ${m.version}_${m.name}.sql was changed after it was applied; add a new migration instead`);
        }
        continue;
      }
      await client.query(m.sql);
      await client.query('insert into public.schema_migrations(version, name, checksum) values ($1, $2, $3)', [m.version, m.name, m.checksum]);
      log.info({ step: 'migrate', version: m.version, name: m.name }, 'migration applied');
      applied.push(`${m.version}_${m.name}`);
    }
  });
  return applied;
}

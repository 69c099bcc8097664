/**
 * The read-only access for analysts and BI tools (docs/serving.md).
 *
 * Two roles, the usual PostgreSQL pattern:
 * - `olist_reader`, a group role without login: it holds the privileges (USAGE on the served
 *   schemas `warehouse` and `marts`, SELECT on their tables and views) and nothing else: no USAGE
 *   on `raw`, `staging` or `audit`, no write privilege anywhere. The quality views in `marts` read
 *   `audit` with their owner's rights, so the reader sees check statuses and rejected-row counts,
 *   never the quarantined values.
 * - the login (`OLIST_ANALYST_USER`, default `olist_analyst`), a member of the group, with
 *   `default_transaction_read_only` on as a second fence.
 *
 * The publish swaps whole schemas, so grants made on the published schemas would vanish with
 * them: every build grants the group read access on its own `*_build` schemas (`grantReadSql`,
 * called by src/transform/build.ts), and the grants travel with the schemas through the rename.
 * The daily feed updates tables in place, which keeps their grants. `ensureAnalystAccess` (run by
 * `olist migrate` and by every job's start-up) creates or updates the roles and grants on what is
 * published right now, for a warehouse built before the roles existed.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, type Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { literal, type Pool } from './connection.ts';
import { embeddedUrl } from './embedded.ts';

/** The group role holding the read privileges (cluster-wide, like every PostgreSQL role). */
export const READER_ROLE = 'olist_reader';

/** The published schemas the reader may read; raw, staging and audit stay closed. */
export const SERVED_LAYERS = ['warehouse', 'marts'] as const;

export const analystPasswordFile = (config: Config): string => path.join(config.home, 'analyst-password');

/**
 * The analyst's password: OLIST_ANALYST_PASSWORD, else, for the embedded server only, the one
 * generated into OLIST_HOME/analyst-password (mode 0600; created when `create` is set). Against
 * DATABASE_URL a password is never invented: a shared server's logins are its owner's decision.
 */
export async function analystPassword(config: Config, opts: { create: boolean }): Promise<string | undefined> {
  if (config.analyst.password) return config.analyst.password;
  if (config.databaseUrl) return undefined;
  const file = analystPasswordFile(config);
  const existing = await fs.readFile(file, 'utf8').then((s) => s.trim(), () => '');
  if (existing || !opts.create) return existing || undefined;
  await fs.mkdir(config.home, { recursive: true });
  const generated = randomBytes(18).toString('base64url');
  // 'wx': two jobs starting at once must not write two different passwords.
  await fs.writeFile(file, `${generated}\n`, { mode: 0o600, flag: 'wx' }).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  return (await fs.readFile(file, 'utf8')).trim();
}

/** The analyst's connection URL: the warehouse's URL with the analyst's name and password. */
export async function analystUrl(config: Config): Promise<string> {
  const password = await analystPassword(config, { create: false });
  if (!password) {
    throw new ConfigError(
      config.databaseUrl
        ? 'no analyst password: with DATABASE_URL set OLIST_ANALYST_PASSWORD (then `olist migrate` creates the login)'
        : `no analyst password yet: run \`olist migrate\` (it creates the login and writes ${analystPasswordFile(config)}), or set OLIST_ANALYST_PASSWORD`,
    );
  }
  const url = new URL(config.databaseUrl ?? embeddedUrl(config.embeddedPort));
  url.username = encodeURIComponent(config.analyst.user);
  url.password = encodeURIComponent(password);
  return url.toString();
}

/**
 * Read access for the reader group on one schema and every table and view in it, when the group
 * exists (a no-op otherwise). Only what is missing is granted: every job's start-up runs this on
 * the published schemas, and rewriting each table's ACL each time would invalidate every cached
 * plan on them and race with a concurrent job's grants.
 */
export function grantReadSql(schema: string): string {
  const schemaLiteral = literal(schema);
  return `do $grant$ declare rel regclass; begin
    if exists (select from pg_roles where rolname = '${READER_ROLE}') and exists (select from pg_namespace where nspname = ${schemaLiteral}) then
      if not has_schema_privilege('${READER_ROLE}', ${schemaLiteral}, 'USAGE') then
        execute format('grant usage on schema %I to ${READER_ROLE}', ${schemaLiteral});
      end if;
      for rel in
        select c.oid::regclass from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = ${schemaLiteral} and c.relkind in ('r', 'p', 'v', 'm') and not has_table_privilege('${READER_ROLE}', c.oid, 'SELECT')
      loop
        execute format('grant select on %s to ${READER_ROLE}', rel);
      end loop;
    end if;
  end $grant$`;
}

const DUPLICATE_OBJECT = '42710';
const UNIQUE_VIOLATION = '23505';
const INSUFFICIENT_PRIVILEGE = '42501';

/**
 * Role DDL is cluster-wide while our advisory locks are per database: two databases of one server
 * (the test suite's) may create the same role at once. The loser sees "already exists" or "tuple
 * concurrently updated"; once more, it finds the role there.
 */
async function roleDdl(pool: Pool, sql: string, params: unknown[] = []): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await pool.query(sql, params);
      return;
    } catch (err) {
      const e = err as { code?: string; message?: string };
      const race = e.code === DUPLICATE_OBJECT || e.code === UNIQUE_VIOLATION || /tuple concurrently (updated|deleted)/.test(e.message ?? '');
      if (!race || attempt >= 3) throw err;
    }
  }
}

/** Runs a statement built server-side by format() (identifiers %I, literals %L), so nothing is spliced in by hand. */
async function formatted(pool: Pool, template: string, args: string[]): Promise<void> {
  const { rows } = await pool.query<{ sql: string }>(`select format($1, ${args.map((_, i) => `$${i + 2}::text`).join(', ')}) as sql`, [template, ...args]);
  await roleDdl(pool, rows[0]!.sql);
}

export interface AnalystAccess {
  /** The reader group exists (builds grant to it). */
  reader: boolean;
  /** The login that was created or updated, or null (and why). */
  login: string | null;
  note?: string;
}

/**
 * PUBLIC holds TEMPORARY on every new database, and PostgreSQL has no way to deny one role a
 * privilege PUBLIC holds: so the analyst could create temp tables (disk and catalog churn, and a
 * hole in "reads only"). This takes TEMPORARY from PUBLIC on the warehouse's database and grants it
 * by name to the connecting (job) user, whose incremental feed builds temp tables. Only a user who
 * may grant it (the database owner or a superuser) can do that; another user keeps the default and
 * is told (docs/serving.md#temporary-tables). Done once: when PUBLIC no longer has it, nothing is
 * rewritten.
 */
export const closeTempToPublicSql = `do $temp$ begin
    if exists (select from pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
                where d.datname = current_database() and a.grantee = 0 and a.privilege_type = 'TEMPORARY')
       and has_database_privilege(current_user, current_database(), 'TEMPORARY WITH GRANT OPTION') then
      execute format('grant temporary on database %I to %I', current_database(), current_user);
      execute format('revoke temporary on database %I from public', current_database());
    end if;
  end $temp$`;

/** Whether PUBLIC (hence the analyst) may still create temp tables in the warehouse's database. */
async function publicHasTemp(pool: Pool): Promise<boolean> {
  const { rows } = await pool.query<{ yes: boolean }>(
    `select exists (select from pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
                     where d.datname = current_database() and a.grantee = 0 and a.privilege_type = 'TEMPORARY') as yes`,
  );
  return rows[0]!.yes;
}

/** Creates or updates the reader group and the analyst login, and grants on the published served schemas. */
export async function ensureAnalystAccess(pool: Pool, config: Config, log: Logger): Promise<AnalystAccess> {
  const user = config.analyst.user;
  // First, and needing no CREATEROLE: a login the server's owner adds later is fenced too.
  await roleDdl(pool, closeTempToPublicSql);
  if (await publicHasTemp(pool)) {
    log.warn({ step: 'migrate' }, 'PUBLIC keeps TEMPORARY on this database (the connecting user is neither its owner nor a superuser): the analyst can create temp tables (docs/serving.md)');
  }
  try {
    await roleDdl(pool, `do $r$ begin
      if not exists (select from pg_roles where rolname = '${READER_ROLE}') then create role ${READER_ROLE} nologin; end if;
    end $r$`);
  } catch (err) {
    if ((err as { code?: string }).code !== INSUFFICIENT_PRIVILEGE) throw err;
    const note = `cannot create the role ${READER_ROLE} (the connecting user lacks CREATEROLE): no read-only access is set up; ask the server's owner to create it (docs/serving.md)`;
    log.warn({ step: 'migrate' }, note);
    return { reader: false, login: null, note };
  }
  // A publish committing meanwhile can drop the tables being granted: roleDdl retries that too.
  for (const layer of SERVED_LAYERS) await roleDdl(pool, grantReadSql(layer));

  const password = await analystPassword(config, { create: true });
  if (!password) {
    const note = `analyst login ${user} not managed: with DATABASE_URL set OLIST_ANALYST_PASSWORD to create it`;
    log.info({ step: 'migrate' }, note);
    return { reader: true, login: null, note };
  }
  const { rows } = await pool.query<{ rolsuper: boolean; rolcreaterole: boolean; rolcreatedb: boolean; rolbypassrls: boolean }>(
    'select rolsuper, rolcreaterole, rolcreatedb, rolbypassrls from pg_roles where rolname = $1',
    [user],
  );
  const existing = rows[0];
  if (existing && (existing.rolsuper || existing.rolcreaterole || existing.rolcreatedb || existing.rolbypassrls)) {
    throw new ConfigError(`OLIST_ANALYST_USER=${user} names a privileged role (superuser, createrole, createdb or bypassrls): a read-only login must be a role of its own`);
  }
  try {
    if (!existing) {
      await formatted(pool, 'create role %I login nosuperuser nocreatedb nocreaterole noreplication nobypassrls password %L', [user, password]);
    } else {
      await formatted(pool, 'alter role %I with login password %L', [user, password]);
    }
    await formatted(pool, `grant ${READER_ROLE} to %I`, [user]);
    // A second fence behind the missing privileges, and the schemas a BI tool should list first.
    await formatted(pool, 'alter role %I set default_transaction_read_only = on', [user]);
    await formatted(pool, 'alter role %I set search_path = marts, warehouse', [user]);
  } catch (err) {
    // A connecting user without CREATEROLE must still be able to run its jobs: say so, go on.
    if ((err as { code?: string }).code !== INSUFFICIENT_PRIVILEGE) throw err;
    const note = `cannot create or update the login ${user} (the connecting user lacks CREATEROLE); the server's owner can create it as a member of ${READER_ROLE} (docs/serving.md)`;
    log.warn({ step: 'migrate' }, note);
    return { reader: true, login: null, note };
  }
  log.info({ step: 'migrate', user }, 'analyst login ready');
  return { reader: true, login: user };
}

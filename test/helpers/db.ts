import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { loadConfig, type Config } from '../../src/config.ts';
import { startEmbedded } from '../../src/db/embedded.ts';
import { createLogger, type Logger } from '../../src/log.ts';
import { projectPath } from '../../src/paths.ts';
import { openContext, type Context } from '../../src/pipeline/context.ts';

/**
 * Tests run against a real PostgreSQL: the embedded server of the test suite (its own cluster and
 * port, started once and reused by every test file; `scripts/test.sh` stops it at the end), or the
 * server of TEST_DATABASE_URL. Each test file gets a fresh database of its own, dropped afterwards.
 */
export const TEST_PG_DIR = projectPath('.olist', 'test-pgdata');

/**
 * The port of the suite's server: OLIST_TEST_PG_PORT when set; else the port our cluster already
 * runs on (test files run as separate processes and share it); else any free port, so the suite
 * never collides with another checkout's server or a user's own PostgreSQL.
 */
async function testServerPort(): Promise<number> {
  if (process.env.OLIST_TEST_PG_PORT) return Number(process.env.OLIST_TEST_PG_PORT);
  const pidFile = path.join(TEST_PG_DIR, 'postmaster.pid');
  if (existsSync(pidFile)) {
    const port = Number(readFileSync(pidFile, 'utf8').split('\n')[3]);
    if (port > 0) return port;
  }
  return freePort();
}

/** A TCP port nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface TestDatabase {
  url: string;
  name: string;
  /** A Config pointing at this database (DATABASE_URL set), with OLIST_HOME in a temp dir. */
  config(overrides?: Record<string, string>): Config;
  drop(): Promise<void>;
}

export const quietLogger = (): Logger => createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const serverUrl = process.env.TEST_DATABASE_URL ?? (await startEmbedded(TEST_PG_DIR, await testServerPort(), quietLogger())).url;
  const name = `t_${label.replace(/[^a-z0-9]+/gi, '_').toLowerCase()}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const home = path.join(process.env.TMPDIR ?? '/tmp', `olist-test-${name}`);
  return {
    url: url.toString(),
    name,
    config: (overrides = {}) =>
      loadConfig({ DATABASE_URL: url.toString(), OLIST_HOME: home, LOG_LEVEL: 'silent', ...overrides }),
    drop: async () => {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** The real Kaggle files, when this machine has them (tests that need them skip otherwise). */
export const REAL_DATA_DIR = process.env.OLIST_REAL_DATA_DIR ?? path.resolve(projectPath(), '..', 'shared', 'data', 'olist');

/** A fresh database with migrations applied and a pipeline context on it; `close` drops it all. */
export interface TestWarehouse {
  db: TestDatabase;
  ctx: Context;
  close(): Promise<void>;
}

export async function openTestWarehouse(label: string): Promise<TestWarehouse> {
  const db = await createTestDatabase(label);
  const ctx = await openContext(db.config(), quietLogger());
  return {
    db,
    ctx,
    close: async () => {
      await ctx.db.close();
      await db.drop();
    },
  };
}

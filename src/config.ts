import path from 'node:path';
import { z } from 'zod';

/**
 * Configuration comes from the environment only, validated once at start-up so a typo fails
 * immediately with the variable's name instead of deep inside a run.
 */
const schema = z.object({
  /** Where the nine Kaggle CSVs are read from. */
  OLIST_DATA_DIR: z.string().min(1).default('data/olist'),
  /** Working directory of the project: embedded database, generated demo data, reports. */
  OLIST_HOME: z.string().min(1).default('.olist'),
  /** Where the daily change feed's batches land (`olist simulate` writes, `--incremental` reads). Default OLIST_HOME/landing. */
  OLIST_LANDING_DIR: z.string().min(1).optional(),
  /** Any PostgreSQL >= 14. When unset, the embedded server under OLIST_HOME is used. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .refine((s) => URL.canParse(s), 'is not a valid URL (check the port and that special characters in the password are percent-encoded)')
    .optional(),
  /** Port of the embedded server (ignored with DATABASE_URL). */
  OLIST_PG_PORT: z.coerce.number().int().min(1024).max(65535).default(54329),
  /** Scale and seed of the demo dataset generated when OLIST_DATA_DIR lacks the Kaggle files. */
  OLIST_GENERATE_SCALE: z.coerce.number().positive().max(1000).default(1),
  OLIST_GENERATE_SEED: z.coerce.number().int().min(0).default(42),
  /**
   * The business day a run stands for (YYYY-MM-DD), e.g. Airflow's logical date. Freshness is judged
   * against it; unset, it is the newest purchase date of the data (the Kaggle data ends 2018-10-17).
   */
  OLIST_LOGICAL_DATE: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
    .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), 'must be a valid calendar date')
    .optional(),
  /**
   * Publish: how long one attempt of the swap may wait for readers' locks (readers that arrive
   * meanwhile queue behind it, so this bounds their wait too), and how many attempts are made.
   */
  OLIST_PUBLISH_LOCK_TIMEOUT_MS: z.coerce.number().int().min(10).max(60_000).default(1_000),
  OLIST_PUBLISH_ATTEMPTS: z.coerce.number().int().min(1).max(1_000).default(10),
  /**
   * The read-only login for analysts and BI tools (src/db/analyst.ts). Without a password the
   * embedded server gets a generated one (kept 0600 in OLIST_HOME/analyst-password); with
   * DATABASE_URL the login is created only when a password is given here.
   */
  OLIST_ANALYST_USER: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case PostgreSQL role name (letters, digits, _)')
    .refine((s) => !s.startsWith('pg_') && s !== 'olist_reader' && s !== 'postgres', 'is a reserved role name')
    .default('olist_analyst'),
  OLIST_ANALYST_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional(),
  /**
   * The multi-step job this call belongs to (e.g. an Airflow run: `<dag_id>/<run_id>`): its calls pass
   * the warehouse reservation taken by `olist job reserve` with the same id; others are refused (75).
   */
  OLIST_JOB_ID: z.string().min(1).max(500).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = Readonly<{
  dataDir: string;
  home: string;
  landingDir: string;
  databaseUrl: string | undefined;
  embeddedPort: number;
  embeddedDataDir: string;
  generateScale: number;
  generateSeed: number;
  logicalDate: string | undefined;
  jobId: string | undefined;
  logLevel: z.infer<typeof schema>['LOG_LEVEL'];
  publishLock: { lockTimeoutMs: number; attempts: number; pauseMs: number };
  analyst: { user: string; password: string | undefined };
}>;

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const home = path.resolve(e.OLIST_HOME);
  return Object.freeze({
    dataDir: path.resolve(e.OLIST_DATA_DIR),
    home,
    landingDir: path.resolve(e.OLIST_LANDING_DIR ?? path.join(home, 'landing')),
    databaseUrl: e.DATABASE_URL,
    embeddedPort: e.OLIST_PG_PORT,
    embeddedDataDir: path.join(home, 'pgdata'),
    generateScale: e.OLIST_GENERATE_SCALE,
    generateSeed: e.OLIST_GENERATE_SEED,
    logicalDate: e.OLIST_LOGICAL_DATE,
    jobId: e.OLIST_JOB_ID,
    logLevel: e.LOG_LEVEL,
    analyst: { user: e.OLIST_ANALYST_USER, password: e.OLIST_ANALYST_PASSWORD },
    publishLock: { lockTimeoutMs: e.OLIST_PUBLISH_LOCK_TIMEOUT_MS, attempts: e.OLIST_PUBLISH_ATTEMPTS, pauseMs: e.OLIST_PUBLISH_LOCK_TIMEOUT_MS },
  });
}

import fs from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';

/**
 * Structured JSON logs (pino): every line carries the run id and step through child loggers.
 * Where they go depends on who is watching: a person at a terminal gets progress bars and the
 * summary, with the JSON log written to a file (`logFile`); a pipe (CI, Airflow, `--json`) gets the
 * JSON log on stderr, where log collectors expect it. stdout is never used for logs.
 */
export function createLogger(level: string, logFile?: string): Logger {
  const base = { level, base: { app: 'olist', pid: process.pid } };
  if (!logFile || !process.stderr.isTTY) return pino(base, pino.destination({ fd: 2, sync: true }));
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  return pino(base, pino.destination({ dest: logFile, append: true, sync: true }));
}

export type { Logger };

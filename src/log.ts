import pino, { type Logger } from 'pino';

/**
 * Structured JSON logs (pino). They go to stderr so that stdout stays for the human summary or
 * the `--json` document; every line carries the run id and step through child loggers.
 */
export function createLogger(level: string, destination: number = 2): Logger {
  return pino({ level, base: { app: 'olist' } }, pino.destination({ fd: destination, sync: true }));
}

export type { Logger };

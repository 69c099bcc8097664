import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread running a TypeScript module, however the parent was started
 * (`node bin/olist.js` with tsx's register(), `npx tsx`, `node --import tsx --test`).
 *
 * Node 20 does not run `--import` preloads in worker threads, and hooks registered with
 * module.register() in the parent are not inherited, so `execArgv: ['--import', 'tsx']` gives
 * "Unknown file extension .ts". Instead the worker starts from a tiny JavaScript module (a data:
 * URL, so there is no extra file) that registers tsx in the worker itself, then imports the entry.
 * tsx is resolved from this file, so the current directory does not matter.
 */
export function startTsWorker(entry: URL, options: WorkerOptions = {}): Worker {
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import { register } from ${JSON.stringify(tsxApi)};\nregister();\nawait import(${JSON.stringify(entry.href)});\n`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`), options);
}

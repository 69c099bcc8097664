import type { Worker } from 'node:worker_threads';
import { startTsWorker } from './tsWorker.ts';

/**
 * The parse worker threads, reused from one file to the next: starting one (a thread, tsx, the
 * module graph) costs ~0.2 s of CPU, which nine files would pay nine times. A worker is reused only
 * after a clean finish; an idle one does not keep the process alive and ends after IDLE_MS.
 */
const ENTRY = new URL('./parseWorker.ts', import.meta.url);
/** Long enough to bridge the gap between two files, short enough not to hold a heap for the rest of the run. */
let idleMs = 2_000;

/**
 * How long an idle worker waits for its next file. A feed run loads a batch every second or so,
 * with the merge and the models in between: it keeps its workers for the whole run.
 */
export function keepParseWorkersIdle(ms: number): void {
  idleMs = ms;
}

interface Idle {
  worker: Worker;
  timer: NodeJS.Timeout;
}
const idle: Idle[] = [];

function start(): Worker {
  const worker = startTsWorker(ENTRY);
  // A worker in use has loadFile's listeners too; these keep an idle one from crashing the process.
  worker.on('error', () => undefined);
  worker.once('exit', () => forget(worker));
  return worker;
}

function forget(worker: Worker): Idle | undefined {
  const i = idle.findIndex((x) => x.worker === worker);
  if (i === -1) return undefined;
  const [entry] = idle.splice(i, 1);
  clearTimeout(entry!.timer);
  return entry;
}

function keep(worker: Worker): void {
  worker.unref();
  const timer = setTimeout(() => {
    forget(worker);
    void worker.terminate();
  }, idleMs);
  timer.unref();
  idle.push({ worker, timer });
}

/** An idle worker, or a new one. */
export function acquireParseWorker(): Worker {
  const entry = idle.pop();
  if (!entry) return start();
  clearTimeout(entry.timer);
  entry.worker.ref();
  return entry.worker;
}

/** Gives a worker back: kept for the next file after a clean finish, ended otherwise. */
export function releaseParseWorker(worker: Worker, clean: boolean): void {
  if (clean) keep(worker);
  else void worker.terminate();
}

/** Starts workers ahead of the first files (they start while the database is being prepared). */
export function prestartParseWorkers(count: number): void {
  for (let i = idle.length; i < count; i++) keep(start());
}

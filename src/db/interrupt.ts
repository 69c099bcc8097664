/**
 * Stopping a job on request (SIGTERM, SIGINT, SIGHUP, or the end of the process that started it).
 * `interrupt` records why and calls the listeners (the database cancels our running queries); the
 * steps check `throwIfInterrupted` at their boundaries and before publishing, so a stopped job
 * fails like any other failed run: its audit row is closed with the reason and nothing is
 * published.
 */
let reason: string | undefined;
const listeners = new Set<(why: string) => void>();

export class InterruptedError extends Error {}

export function interruptReason(): string | undefined {
  return reason;
}

export function interrupt(why: string): void {
  if (reason) return;
  reason = why;
  for (const l of listeners) l(why);
}

export function onInterrupt(fn: (why: string) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function throwIfInterrupted(): void {
  if (reason) throw new InterruptedError(`stopped: ${reason}`);
}

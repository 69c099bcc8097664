import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { projectPath } from '../../src/paths.ts';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A CLI process started by a test, with its output collected as it comes. */
export interface CliProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  done: Promise<CliResult>;
}

/** Starts `command args` in the project directory (default: `node bin/olist.js`), env added to a minimal one. */
export function startCli(args: string[], env: Record<string, string>, command: string[] = ['node', 'bin/olist.js']): CliProcess {
  const child = spawn(command[0]!, [...command.slice(1), ...args], {
    cwd: projectPath(),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', TMPDIR: process.env.TMPDIR ?? '/tmp', LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (err += String(d)));
  const done = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout: out, stderr: err })),
  );
  return { child, stdout: () => out, stderr: () => err, done };
}

export function runCli(args: string[], env: Record<string, string>, command?: string[]): Promise<CliResult> {
  return startCli(args, env, command).done;
}

/** Waits until `probe` returns a value (checked every 50 ms); the test runner's timeout bounds it. */
export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    await sleep(50);
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A backend of an olist job that is waiting for a lock (the job is then held at that point). */
export async function olistWaitingOnLock(pool: pg.Pool): Promise<number | undefined> {
  const { rows } = await pool.query<{ pid: number }>(
    "select pid from pg_stat_activity where application_name = 'olist' and wait_event_type = 'Lock' and datname = current_database() limit 1",
  );
  return rows[0]?.pid;
}

/**
 * Runs a command as a child process and measures its wall time (performance.now(), spawn to exit)
 * and its peak resident set size. Peak RSS comes from GNU time (`/usr/bin/time -f %M`, the kernel's
 * ru_maxrss of the child, exact) when it is installed, else from polling /proc/<pid>/status VmHWM
 * every 50 ms (VmHWM is itself a high-water mark, so only growth in the last 50 ms can be missed).
 * Only the child is measured: the PostgreSQL server is a separate, already running process.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface Measured {
  code: number;
  ms: number;
  /** Peak RSS in MiB, or null when it could not be read. */
  peakRssMb: number | null;
  stdout: string;
  stderr: string;
  /** Epoch ms at spawn (to line up the child's log timestamps). */
  startedAt: number;
  /** CPU seconds (user + system) of the child, from GNU time; null without it. */
  cpuS: number | null;
  /** 1-minute load average just before and just after (other work on the machine skews times). */
  load: [number, number];
}

export function loadAverage(): number {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return 0;
  }
}

/**
 * Waits (at most maxMs) until the 1-minute load average is below `below`, so a measurement does
 * not start while other jobs are busy on the machine. Returns the load it started at.
 */
export async function waitForQuiet(below: number, maxMs: number, say?: (l: string) => void): Promise<number> {
  const until = Date.now() + maxMs;
  let told = false;
  while (loadAverage() >= below && Date.now() < until) {
    if (!told && say) say(`  (waiting for load average ${loadAverage().toFixed(2)} < ${below}, at most ${Math.round(maxMs / 1000)} s)`);
    told = true;
    await new Promise((r) => setTimeout(r, 2000));
  }
  return loadAverage();
}

const GNU_TIME = '/usr/bin/time';

function vmHwmKb(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export async function measure(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Measured> {
  const useTime = existsSync(GNU_TIME);
  const rssFile = path.join(os.tmpdir(), `olist-bench-rss-${process.pid}-${Date.now()}`);
  const [file, argv] = useTime ? [GNU_TIME, ['-f', '%M %U %S', '-o', rssFile, cmd, ...args]] : [cmd, args];
  const loadBefore = loadAverage();
  const startedAt = Date.now();
  const started = performance.now();
  const child = spawn(file, argv, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => err.push(d));
  let polledKb: number | null = null;
  const poll = useTime
    ? undefined
    : setInterval(() => {
        const kb = child.pid ? vmHwmKb(child.pid) : null;
        if (kb !== null) polledKb = Math.max(polledKb ?? 0, kb);
      }, 50);
  const code = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c) => resolve(c ?? 1));
  });
  const ms = performance.now() - started;
  if (poll) clearInterval(poll);
  let peakKb: number | null = polledKb;
  let cpuS: number | null = null;
  if (useTime) {
    const text = await fs.readFile(rssFile, 'utf8').catch(() => '');
    await fs.rm(rssFile, { force: true });
    // GNU time writes "Command exited with non-zero status N" before the figures on failure.
    const m = /^(\d+) ([\d.]+) ([\d.]+)$/.exec(text.trim().split('\n').pop() ?? '');
    peakKb = m ? Number(m[1]) : null;
    cpuS = m ? Math.round((Number(m[2]) + Number(m[3])) * 100) / 100 : null;
  }
  return {
    code,
    ms: Math.round(ms),
    peakRssMb: peakKb === null ? null : Math.round(peakKb / 1024),
    stdout: Buffer.concat(out).toString('utf8'),
    stderr: Buffer.concat(err).toString('utf8'),
    startedAt,
    cpuS,
    load: [loadBefore, loadAverage()],
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** One pino log line of the CLI (stderr), as far as the bench needs it. */
export interface LogLine {
  time: number;
  msg: string;
  step?: string;
  file?: string;
  model?: string;
  check?: string;
  ms?: number;
  rows?: number;
}

export function parseLogs(stderr: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const l of stderr.split('\n')) {
    if (!l.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(l) as LogLine);
    } catch {
      // not a log line
    }
  }
  return lines;
}

/** The last JSON document the CLI printed on stdout (`--json`). */
export function parseJsonOut<T>(stdout: string): T {
  const text = stdout.trim();
  const start = text.indexOf('{');
  if (start < 0) throw new Error(`no JSON on stdout: ${text.slice(0, 200)}`);
  return JSON.parse(text.slice(start)) as T;
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const CLK_TCK = 100;

function procTimes(pid: number): { ppid: number; self: number; children: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may contain spaces: fields start after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // f[0] is field 3 (state): ppid is field 4, utime/stime 14/15, cutime/cstime 16/17.
    return { ppid: Number(f[1]), self: Number(f[11]) + Number(f[12]), children: Number(f[13]) + Number(f[14]) };
  } catch {
    return null;
  }
}

/**
 * CPU seconds used so far by a local PostgreSQL server: its postmaster, its live processes, and
 * every process of it that has exited (reaped by the postmaster, so in its children's times).
 * Sampled before and after a command, the difference is what the server spent on it, a figure
 * that other work on a busy machine disturbs much less than wall time. Null when the server is not
 * on this machine (or its processes cannot be read). Only meaningful on a server nobody else uses.
 */
export async function serverCpuSeconds(url: string): Promise<number | null> {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  let backend: number;
  try {
    backend = (await c.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    const postmaster = procTimes(backend)?.ppid;
    if (!postmaster) return null;
    const root = procTimes(postmaster);
    if (!root) return null;
    let ticks = root.self + root.children;
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const p = procTimes(Number(name));
      if (p && p.ppid === postmaster) ticks += p.self;
    }
    return ticks / CLK_TCK;
  } finally {
    await c.end();
  }
}

import cliProgress from 'cli-progress';

/**
 * Progress of long steps: bars on an interactive terminal, plain lines otherwise (CI logs, Airflow),
 * nothing at all with --json. Always on stderr so stdout stays clean for results.
 */
export interface Progress {
  start(task: string, total: number): void;
  advance(task: string, by: number, label?: string): void;
  done(task: string, message: string): void;
  stop(): void;
}

export function createProgress(mode: 'bars' | 'lines' | 'silent'): Progress {
  if (mode === 'silent') return { start() {}, advance() {}, done() {}, stop() {} };
  if (mode === 'lines') {
    return {
      start() {},
      advance() {},
      done: (task, message) => process.stderr.write(`  ${task}: ${message}\n`),
      stop() {},
    };
  }
  const multi = new cliProgress.MultiBar(
    { format: '  {task} [{bar}] {percentage}% {label}', stream: process.stderr, hideCursor: true, clearOnComplete: false, barsize: 30 },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  return {
    start: (task, total) => bars.set(task, multi.create(total, 0, { task: task.padEnd(40), label: '' })),
    advance: (task, by, label) => bars.get(task)?.increment(by, { label: label ?? '' }),
    done: (task, message) => {
      const bar = bars.get(task);
      if (bar) bar.update(bar.getTotal(), { label: message });
    },
    stop: () => multi.stop(),
  };
}

export function progressMode(json: boolean): 'bars' | 'lines' | 'silent' {
  if (json) return 'silent';
  return process.stderr.isTTY ? 'bars' : 'lines';
}

/** What a command prints on stdout: a human summary, or one JSON document with --json. */
export interface Output {
  json: boolean;
  /** A line for humans (suppressed with --json). */
  say(line: string): void;
  /** The command's result (printed as JSON with --json). */
  result(value: unknown, human?: () => string): void;
}

export function createOutput(json: boolean): Output {
  return {
    json,
    say: (line) => {
      if (!json) process.stdout.write(`${line}\n`);
    },
    result: (value, human) => {
      if (json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
      else if (human) process.stdout.write(`${human()}\n`);
    },
  };
}

export function table(rows: readonly (readonly (string | number)[])[], header: readonly string[]): string {
  const all = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [fmt(all[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(fmt)].join('\n');
}

export const n = (x: number | string | null | undefined): string =>
  x === null || x === undefined ? '-' : Number(x).toLocaleString('en-US', { maximumFractionDigits: 2 });

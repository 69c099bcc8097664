/**
 * A problem with a whole file (wrong header, wrong encoding, missing file): the run stops and
 * nothing is published. Row-level problems are never errors: they are quarantined.
 */
export class SourceFileError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
    readonly line?: number,
    readonly column?: string,
  ) {
    const where = [file, line !== undefined ? `line ${line}` : undefined, column ? `column ${column}` : undefined]
      .filter(Boolean)
      .join(', ');
    super(`${where}: ${problem}`);
  }
}

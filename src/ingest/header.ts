import { sourceHeader, type SourceSpec } from '../sources/index.ts';
import { SourceFileError } from './errors.ts';

/**
 * Maps the file's header onto the spec: returns, for each spec column, the index of its field in
 * a record (-1 for an optional column the file lacks). Column order may differ from the spec; a missing, unknown or repeated header fails the
 * file, because loading it would silently shift or drop data.
 */
export function mapHeader(spec: SourceSpec, header: readonly string[], file: string): number[] {
  const seen = new Map<string, number>();
  header.forEach((h, i) => {
    const name = h.trim();
    if (seen.has(name)) throw new SourceFileError(file, `header repeats column '${name}'`, 1, name);
    seen.set(name, i);
  });
  const missing = spec.columns.filter((c) => !c.optional && !seen.has(sourceHeader(c))).map(sourceHeader);
  if (missing.length > 0) {
    throw new SourceFileError(file, `wrong header: missing required column(s) ${missing.map((m) => `'${m}'`).join(', ')} (found: ${header.join(', ')})`, 1);
  }
  const known = new Set(spec.columns.map(sourceHeader));
  const unknown = [...seen.keys()].filter((h) => !known.has(h));
  if (unknown.length > 0) {
    throw new SourceFileError(file, `wrong header: unexpected column(s) ${unknown.map((u) => `'${u}'`).join(', ')}`, 1);
  }
  // -1: an optional column the file does not carry (read as empty)
  return spec.columns.map((c) => seen.get(sourceHeader(c)) ?? -1);
}

/**
 * Reads a source file the way our ingest does (csv-parse with `{ bom: true, relax_quotes: true,
 * columns: false }`). Used for the optional reference catalogs, for measuring, and by the tests so
 * that real and generated files go through the same reader.
 */
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse';
import { sourceByName } from '../sources/index.ts';

export const READER_OPTIONS = { bom: true, relax_quotes: true, columns: false } as const;

/** Streams the records of one source file (header row excluded) to `onRow`, at most `limit` of them; returns the header. */
export async function readRows(dir: string, source: string, onRow: (row: string[]) => void, limit = Infinity): Promise<string[]> {
  const spec = sourceByName(source);
  const parser = createReadStream(join(dir, spec.fileName)).pipe(parse(READER_OPTIONS));
  let header: string[] | undefined;
  let n = 0;
  for await (const rec of parser as AsyncIterable<string[]>) {
    if (!header) header = rec;
    else if (n++ < limit) onRow(rec);
    else break;
  }
  return header ?? [];
}

/** Whether `dir` holds the named source files. */
export function hasSources(dir: string | undefined, sources: readonly string[]): dir is string {
  return !!dir && sources.every((s) => existsSync(join(dir, sourceByName(s).fileName)));
}

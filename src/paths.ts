import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the project checkout (where package.json, sql/ and queries/ live). */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function projectPath(...parts: string[]): string {
  return path.join(PROJECT_ROOT, ...parts);
}

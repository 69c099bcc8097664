/**
 * How a failure is told: one line naming the step that failed and, for errors from PostgreSQL,
 * what the server says about the row (detail: key and value; the table or constraint). The same
 * text goes to stderr (`olist: ...`) and to audit.runs.error.
 */

export interface StepTagged {
  step?: string;
}

/** Runs `fn` as `step`: an error escaping it is tagged with the step (the innermost step wins). */
export async function withStep<T>(step: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof Error && (err as StepTagged).step === undefined) (err as StepTagged).step = step;
    throw err;
  }
}

interface PgErrorFields {
  detail?: string;
  hint?: string;
  schema?: string;
  table?: string;
  constraint?: string;
  code?: string;
}

/** PostgreSQL text cannot hold NUL: audit rows would be refused and the reason lost. */
export function auditText(s: string): string {
  return s.replaceAll('\0', '\\0');
}

export function describeError(err: unknown): string {
  const e = err instanceof Error ? err : new Error(String(err));
  const tagged = e as Error & StepTagged;
  // PostgreSQL's fields are on the driver's error, which may be the cause of a wrapping one
  // (e.g. "model staging/stg_orders failed: ...").
  let pg = e as Error & PgErrorFields;
  for (let c: unknown = e; c instanceof Error; c = c.cause) {
    if ((c as PgErrorFields).detail || (c as PgErrorFields).table || (c as PgErrorFields).constraint) {
      pg = c as Error & PgErrorFields;
      break;
    }
  }
  const where = pg.table ? `table ${pg.schema ? `${pg.schema}.` : ''}${pg.table}` : pg.constraint ? `constraint ${pg.constraint}` : undefined;
  const extra = [pg.detail, where, pg.hint ? `hint: ${pg.hint}` : undefined].filter(Boolean);
  // A message that already says what the detail says (e.g. wrapped errors) is not repeated.
  const more = extra.filter((x) => !e.message.includes(x!));
  const text = `${tagged.step ? `${tagged.step}: ` : ''}${e.message}${more.length ? ` (${more.join('; ')})` : ''}`;
  return auditText(text.replace(/\s*\n\s*/g, ' ').trim());
}

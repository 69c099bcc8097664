/**
 * Watches a CSV file's bytes on their way to PostgreSQL's COPY for what PostgreSQL would read
 * differently from the streaming parser (csv-parse with relax_quotes), and passes them on.
 *
 * - A quote inside an unquoted field (`ab"c`, the Kaggle reviews file's bare quote): csv-parse keeps
 *   it as a character, PostgreSQL opens a quoted section there (`x"y,z"w` is one field to it). Such a
 *   record is **requoted** on its way: held back until its end, split into fields by csv-parse with
 *   the streaming path's options, and passed on with every non-empty field quoted (`"ab""c"`), which
 *   PostgreSQL reads as csv-parse did. Same fields, same line (no line break added or removed), and
 *   the rest of the file passes untouched, so the file stays on the fast path.
 * - Text after a closing quote (`"ab"cd`): PostgreSQL reads `abcd`, csv-parse refuses the record.
 * - `\.` (PostgreSQL before 18 ends the data at a line holding only `\.`): refused anywhere, to be safe.
 * - U+FFFD: the streaming path treats it as the mark of bytes that were not UTF-8 and refuses the
 *   file; PostgreSQL would load it as the character.
 * Those last three set `problem`: the file goes the streaming way. PostgreSQL fails on the other
 * differences (a wrong field count, an unterminated quote, a blank line, mixed line endings,
 * invalid UTF-8, NUL), which sends the file to the streaming path too.
 *
 * It also notes whether any quoted field holds a line break, which is what decides whether a
 * record's line number is more than its ordinal + 1. The scan stops at quotes only (indexOf), so it
 * costs little next to the COPY; what it holds back is the part of the last record of a chunk (a
 * view of the chunk, not a copy) until the next chunk says where that record ends.
 */
import { parse } from 'csv-parse/sync';

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const BACKSLASH = 0x5c;
const DOT = 0x2e;
const REPLACEMENT = Buffer.from([0xef, 0xbf, 0xbd]);
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

const endsField = (b: number | undefined) => b === COMMA || b === LF || b === CR;

const EMPTY = Buffer.alloc(0);

/** Why a file whose quotes the two parsers read differently goes the streaming way. */
const QUOTES_DIFFER = 'a quote that does not open or close a field (PostgreSQL and csv-parse read it differently)';

export class CsvShape {
  /** Why the file must go the streaming way, once found. */
  problem: string | undefined;
  breaksInFields = false;
  /** Records passed on requoted (a quote inside an unquoted field). */
  requoted = 0;
  private inQuote = false;
  /** The chunk ended on a quote inside a quoted field: the next byte says whether it closed it. */
  private quoteAtEnd = false;
  /** The last bytes of the previous chunk (for patterns across a chunk boundary). */
  private tail: Buffer = Buffer.from([LF]);
  private first = true;
  /** Bytes scanned but not passed on yet: from the start of the record the last chunk ended in. */
  private held: Buffer = EMPTY;
  /** The held record has a quote inside an unquoted field: it is passed on requoted once whole. */
  private requoting = false;
  /** The stretches of the chunk being scanned that lie outside quoted fields, as [start, end) pairs. */
  private outside: number[] = [];

  /** Scans the next bytes of the file; returns the bytes to pass on (none once `problem` is set). */
  scan(chunk: Buffer): Buffer[] {
    if (this.problem || chunk.length === 0) return [];
    const out: Buffer[] = [];
    let buf = chunk;
    if (this.first) {
      buf = Buffer.concat([this.held, chunk]);
      this.held = EMPTY;
      // The first bytes may be part of a byte-order mark: wait for the third.
      if (buf.length < 3 && UTF8_BOM.subarray(0, buf.length).equals(buf)) {
        this.held = buf;
        return [];
      }
      this.first = false;
      if (buf.subarray(0, 3).equals(UTF8_BOM)) {
        out.push(buf.subarray(0, 3)); // PostgreSQL skips it with the header line
        buf = buf.subarray(3);
      }
      if (buf.length === 0) return out;
    }
    if (this.requoting) {
      this.held = Buffer.concat([this.held, buf]);
      out.push(...this.requote(false));
    } else {
      out.push(...this.scanFrom(buf));
    }
    return this.problem ? [] : out;
  }

  /** At the end of the file: the bytes still to pass on. */
  end(): Buffer[] {
    if (this.first && this.held.length) {
      // Fewer than three bytes in all, and not a byte-order mark's start.
      const head = this.held;
      this.held = EMPTY;
      this.first = false;
      return [...this.scanFrom(head), ...this.end()];
    }
    const out: Buffer[] = [];
    while (this.requoting && !this.problem) out.push(...this.requote(true));
    // A quote closing the last field at the very end of the file is fine; an open one is not (and
    // PostgreSQL fails the COPY for it anyway).
    if (this.inQuote && !this.quoteAtEnd && !this.problem) this.problem = 'the file ends inside a quoted field';
    if (this.problem) return [];
    out.push(this.held);
    this.held = EMPTY;
    return out;
  }

  /** `buf` follows the held bytes in the file. */
  private scanFrom(buf: Buffer): Buffer[] {
    this.scanMarkers(buf);
    this.outside = [];
    const bare = this.scanQuotes(buf);
    if (this.problem) return [];
    if (bare >= 0) {
      // Pass on what precedes the record; hold the record until its end is known.
      const start = this.recordStart(buf, bare);
      const out = start >= 0 ? [this.held, buf.subarray(0, start)] : [];
      this.held = start >= 0 ? buf.subarray(start) : Buffer.concat([this.held, buf]);
      this.requoting = true;
      return [...out, ...this.requote(false)];
    }
    this.tail = Buffer.from(buf.subarray(Math.max(0, buf.length - 2)));
    const start = this.recordStart(buf, buf.length);
    if (start < 0) {
      this.held = Buffer.concat([this.held, buf]); // a record longer than the chunk
      return [];
    }
    const out = [this.held, buf.subarray(0, start)];
    this.held = buf.subarray(start);
    return out;
  }

  /**
   * Where in `buf` the record holding position `limit` starts (just after the last line break
   * outside quotes before it), or -1 when it started in an earlier chunk.
   */
  private recordStart(buf: Buffer, limit: number): number {
    let pos = limit - 1;
    let k = this.outside.length - 2;
    while (pos >= 0) {
      const lf = buf.lastIndexOf(LF, pos);
      if (lf < 0) return -1;
      while (k >= 0 && this.outside[k]! > lf) k -= 2;
      if (k >= 0 && lf < this.outside[k + 1]!) return lf + 1;
      pos = lf - 1; // a line break inside a quoted field
    }
    return -1;
  }

  /**
   * The held record, from its start, has a quote inside an unquoted field. Once its end is there
   * (or the file's, when `final`), csv-parse splits it as the streaming path would, and it is
   * passed on with its fields quoted; the scan goes on after it.
   */
  private requote(final: boolean): Buffer[] {
    const end = recordEnd(this.held);
    if (end < 0 && !final) return [];
    const record = end < 0 ? this.held : this.held.subarray(0, end);
    const rest = end < 0 ? EMPTY : this.held.subarray(end);
    const eol = record.at(-1) !== LF ? '' : record.at(-2) === CR ? '\r\n' : '\n';
    const text = record.toString('utf8');
    // Bytes that are not UTF-8 (decoded to U+FFFD) and a carriage return that does not end the
    // line are left to the paths that refuse or read them.
    if (text.includes('\uFFFD') || text.slice(0, text.length - eol.length).includes('\r')) {
      this.problem = QUOTES_DIFFER;
      return [];
    }
    let fields: string[];
    try {
      const records = parse(text, { relax_quotes: true, relax_column_count: true }) as string[][];
      if (records.length !== 1) throw new Error(`${records.length} records`);
      fields = records[0]!;
    } catch {
      this.problem = QUOTES_DIFFER;
      return [];
    }
    if (fields.some((f) => f.includes('\n'))) this.breaksInFields = true;
    this.requoted += 1;
    this.requoting = false;
    this.held = EMPTY;
    this.inQuote = false;
    this.quoteAtEnd = false;
    this.tail = Buffer.from([LF]);
    // An empty field stays unquoted: NULL to PostgreSQL, which the validation reads as '' (as a
    // quoted empty one).
    const requoted = Buffer.from(fields.map((f) => (f === '' ? '' : `"${f.replaceAll('"', '""')}"`)).join(',') + eol, 'utf8');
    return rest.length ? [requoted, ...this.scanFrom(rest)] : [requoted];
  }

  private scanMarkers(buf: Buffer): void {
    const joint = Buffer.concat([this.tail, buf.subarray(0, 2)]);
    if (buf.indexOf(REPLACEMENT) !== -1 || joint.indexOf(REPLACEMENT) !== -1) {
      this.problem = 'the file holds U+FFFD (the replacement character)';
    } else if (buf.indexOf('\\.') !== -1 || (this.tail.at(-1) === BACKSLASH && buf[0] === DOT)) {
      this.problem = 'the file holds \\. (an end-of-data marker to PostgreSQL)';
    }
  }

  /**
   * Follows the quoted fields of `buf`, noting the stretches outside them; returns the position of
   * the first quote inside an unquoted field, or -1.
   */
  private scanQuotes(buf: Buffer): number {
    let i = 0;
    if (this.quoteAtEnd) {
      this.quoteAtEnd = false;
      if (buf[0] === QUOTE) i = 1; // "" : an escaped quote, still inside the field
      else if (endsField(buf[0])) this.inQuote = false;
      else return this.fail();
    }
    while (i < buf.length && !this.problem) {
      const q = buf.indexOf(QUOTE, i);
      if (this.inQuote) {
        if (!this.breaksInFields) {
          const lf = buf.indexOf(LF, i);
          if (lf !== -1 && (q === -1 || lf < q)) this.breaksInFields = true;
        }
        if (q === -1) return -1;
        if (q + 1 === buf.length) {
          this.quoteAtEnd = true;
          return -1;
        }
        if (buf[q + 1] === QUOTE) {
          i = q + 2;
          continue;
        }
        if (!endsField(buf[q + 1])) return this.fail();
        this.inQuote = false;
        i = q + 1;
      } else {
        this.outside.push(i, q === -1 ? buf.length : q);
        if (q === -1) return -1;
        const before = q === 0 ? this.tail.at(-1) : buf[q - 1];
        if (!endsField(before)) return q;
        this.inQuote = true;
        i = q + 1;
      }
    }
    return -1;
  }

  private fail(): number {
    this.problem = QUOTES_DIFFER;
    return -1;
  }
}

/**
 * Where the record at the start of `buf` ends (just after its line break), read as csv-parse with
 * relax_quotes reads it: a quote opens a quoted field only at the start of a field, and is a
 * character anywhere else. -1 when `buf` ends first.
 */
function recordEnd(buf: Buffer): number {
  let quoted = false;
  let fieldStart = true;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (quoted) {
      if (b !== QUOTE) continue;
      if (i + 1 === buf.length) return -1; // the next byte says whether it closes the field
      if (buf[i + 1] === QUOTE) i += 1;
      else quoted = false;
      continue;
    }
    if (b === LF) return i + 1;
    if (b === QUOTE && fieldStart) quoted = true;
    fieldStart = b === COMMA;
  }
  return -1;
}

/**
 * Watches a CSV file's bytes on their way to PostgreSQL's COPY for what PostgreSQL would read
 * differently from the streaming parser (csv-parse with relax_quotes) without reporting an error.
 * PostgreSQL fails on the other differences (a wrong field count, an unterminated quote, a blank
 * line, mixed line endings, invalid UTF-8, NUL), which sends the file to the streaming path too.
 *
 * - A quote inside an unquoted field (`ab"c`): csv-parse keeps it as a character, PostgreSQL opens a
 *   quoted section there (`x"y,z"w` is one field to it).
 * - Text after a closing quote (`"ab"cd`): PostgreSQL reads `abcd`, csv-parse refuses the record.
 * - `\.` (PostgreSQL before 18 ends the data at a line holding only `\.`): refused anywhere, to be safe.
 * - U+FFFD: the streaming path treats it as the mark of bytes that were not UTF-8 and refuses the
 *   file; PostgreSQL would load it as the character.
 *
 * It also notes whether any quoted field holds a line break, which is what decides whether a
 * record's line number is more than its ordinal + 1. The scan stops at quotes only (indexOf), so it
 * costs little next to the COPY.
 */
const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const BACKSLASH = 0x5c;
const DOT = 0x2e;
const REPLACEMENT = Buffer.from([0xef, 0xbf, 0xbd]);
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

const endsField = (b: number | undefined) => b === COMMA || b === LF || b === CR;

export class CsvShape {
  /** Why the file must go the streaming way, once found. */
  problem: string | undefined;
  breaksInFields = false;
  private inQuote = false;
  /** The chunk ended on a quote inside a quoted field: the next byte says whether it closed it. */
  private quoteAtEnd = false;
  /** The last bytes of the previous chunk (for patterns across a chunk boundary). */
  private tail: Buffer = Buffer.from([LF]);
  private first = true;

  scan(chunk: Buffer): void {
    if (this.problem || chunk.length === 0) return;
    let buf = chunk;
    if (this.first) {
      this.first = false;
      if (buf.subarray(0, 3).equals(UTF8_BOM)) buf = buf.subarray(3);
      if (buf.length === 0) return;
    }
    this.scanMarkers(buf);
    this.scanQuotes(buf);
    this.tail = Buffer.from(buf.subarray(Math.max(0, buf.length - 2)));
  }

  /** At the end of the file. */
  end(): void {
    // A quote closing the last field at the very end of the file is fine; an open one is not (and
    // PostgreSQL fails the COPY for it anyway).
    if (this.inQuote && !this.quoteAtEnd && !this.problem) this.problem = 'the file ends inside a quoted field';
  }

  private scanMarkers(buf: Buffer): void {
    const joint = Buffer.concat([this.tail, buf.subarray(0, 2)]);
    if (buf.indexOf(REPLACEMENT) !== -1 || joint.indexOf(REPLACEMENT) !== -1) {
      this.problem = 'the file holds U+FFFD (the replacement character)';
    } else if (buf.indexOf('\\.') !== -1 || (this.tail.at(-1) === BACKSLASH && buf[0] === DOT)) {
      this.problem = 'the file holds \\. (an end-of-data marker to PostgreSQL)';
    }
  }

  private scanQuotes(buf: Buffer): void {
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
        if (q === -1) return;
        if (q + 1 === buf.length) {
          this.quoteAtEnd = true;
          return;
        }
        if (buf[q + 1] === QUOTE) {
          i = q + 2;
          continue;
        }
        if (!endsField(buf[q + 1])) return this.fail();
        this.inQuote = false;
        i = q + 1;
      } else {
        if (q === -1) return;
        const before = q === 0 ? this.tail.at(-1) : buf[q - 1];
        if (!endsField(before)) return this.fail();
        this.inQuote = true;
        i = q + 1;
      }
    }
  }

  private fail(): void {
    this.problem = 'a quote that does not open or close a field (PostgreSQL and csv-parse read it differently)';
  }
}

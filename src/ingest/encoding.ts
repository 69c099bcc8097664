/**
 * UTF-16 and UTF-32 files, with or without a byte order mark, are refused as a wrong encoding
 * (decoded as UTF-8 they would give a header of NUL-separated characters). They are recognised by
 * their BOM, else by the NUL bytes of the header's ASCII characters. A UTF-8 BOM is accepted.
 */
export function wideEncoding(head: Uint8Array): string | undefined {
  const [a, b, c, d] = head;
  if (a === 0xff && b === 0xfe && c === 0 && d === 0) return 'UTF-32LE (with a byte order mark)';
  if (a === 0 && b === 0 && c === 0xfe && d === 0xff) return 'UTF-32BE (with a byte order mark)';
  if (a === 0xff && b === 0xfe) return 'UTF-16LE (with a byte order mark)';
  if (a === 0xfe && b === 0xff) return 'UTF-16BE (with a byte order mark)';
  if (head.length < 4) return undefined;
  if (a !== 0 && b === 0 && c === 0 && d === 0) return 'UTF-32LE';
  if (a === 0 && b === 0 && c === 0 && d !== 0) return 'UTF-32BE';
  if (a !== 0 && b === 0 && c !== 0 && d === 0) return 'UTF-16LE';
  if (a === 0 && b !== 0 && c === 0 && d !== 0) return 'UTF-16BE';
  return undefined;
}

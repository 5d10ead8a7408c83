/** A line of a checksum list worth parsing: its number (from 1) and its text. */
export interface ChecksumLine {
  readonly number: number;
  readonly content: string;
}

const signedStart = '-----BEGIN PGP SIGNED MESSAGE-----';
const signatureStart = '-----BEGIN PGP SIGNATURE-----';
const signatureEnd = '-----END PGP SIGNATURE-----';

/**
 * The lines of a checksum list that hold checksums: blank lines, `#` comments and the armour of a
 * clear-signed list (RFC 4880 §7: its headers, its signature block, and the `- ` dash-escaping)
 * left out; CRLF line ends and a leading byte-order mark accepted. Leading blanks are dropped as
 * GNU does; trailing ones are kept, since a name may end with a space.
 */
export function* readChecksumLines(text: string): Generator<ChecksumLine> {
  let state: 'plain' | 'armour headers' | 'signed' | 'signature' = 'plain';
  // Line by line with indexOf rather than split('\n'): 16 MiB of empty lines would otherwise be an
  // array of 16 million strings at once.
  let start = text.startsWith('\uFEFF') ? 1 : 0;
  for (let number = 1; start <= text.length; number += 1) {
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline;
    const line = text.slice(start, end);
    start = end + 1;
    const content = line.endsWith('\r') ? line.slice(0, -1) : line;
    const trimmed = content.trim();
    if (state === 'plain' && trimmed === signedStart) {
      state = 'armour headers';
      continue;
    }
    if (state === 'armour headers') {
      if (trimmed === '') state = 'signed';
      continue;
    }
    if (state === 'signed' && trimmed === signatureStart) {
      state = 'signature';
      continue;
    }
    if (state === 'signature') {
      if (trimmed === signatureEnd) state = 'plain';
      continue;
    }
    const unescaped = state === 'signed' && content.startsWith('- ') ? content.slice(2) : content;
    const withoutIndent = unescaped.replace(/^[ \t]+/, '');
    if (withoutIndent.trim() === '' || withoutIndent.startsWith('#')) continue;
    yield { number, content: withoutIndent };
  }
}

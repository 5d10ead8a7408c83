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
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  let state: 'plain' | 'armour headers' | 'signed' | 'signature' = 'plain';
  for (const [index, line] of lines.entries()) {
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
    const start = unescaped.replace(/^[ \t]+/, '');
    if (start.trim() === '' || start.startsWith('#')) continue;
    yield { number: index + 1, content: start };
  }
}

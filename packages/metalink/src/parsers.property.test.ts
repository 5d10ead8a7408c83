import { RegetError } from '@reget/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checksumFor, parseChecksumList, parseMetalink, safeRelativePath } from './index.js';

// Replay a failure with REGET_PROPERTY_SEED=<seed printed in the test name>.
const seed = Number(process.env.REGET_PROPERTY_SEED ?? 20261205);
// About a second for the whole file on a busy 2-core machine.
const runs = { seed, numRuns: 300 };

/** Runs `parse`; a RegetError must be BAD_INPUT with one short printable line, anything else fails. */
function resultOrRefusal<T>(parse: () => T): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof RegetError)) throw error;
    expect(error.code).toBe('BAD_INPUT');
    expect(error.message).not.toMatch(/[\p{Cc}\u2028\u2029]/u);
    expect(error.message.length).toBeLessThan(400);
    expect(error.message).toMatch(/[.]$/);
    return undefined;
  }
}

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const hexOf = (lengths: number[]) =>
  fc
    .tuple(fc.constantFrom(...lengths), fc.constantFrom('0', '9', 'a', 'F'))
    .map(([length, digit]) => digit.repeat(length));

// Pieces of a Metalink: mostly good values, so that documents often pass and their promises are
// checked, with hostile ones and arbitrary text in every slot.
const mostly = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: good, weight: 12 }, { arbitrary: bad, weight: 1 });
const name = mostly(
  fc.stringMatching(/^[a-z0-9]{1,6}(\/[a-z0-9 ()-]{1,6}[a-z0-9])?\.(iso|bin)$/),
  fc.oneof(
    fc.constantFrom('../x', '/etc/x', 'a/../../b', 'C:\\x', '.ssh/k', 'a&#10;b', 'CON', 'a//b', ''),
    fc.string({ maxLength: 12 }).map(escapeXml),
  ),
);
const badNumber = fc.oneof(
  fc.constantFrom('-1', '1.5', '1e3', '9007199254740992', ' 7 ', ''),
  fc.string({ maxLength: 6 }).map(escapeXml),
);
const rank = mostly(fc.integer({ min: 1, max: 100 }).map(String), badNumber);
const hashType = mostly(
  fc.constantFrom('sha-256', 'sha256', 'SHA-1', 'md5', 'sha-512'),
  fc.constantFrom('sha-384', 'tiger', ''),
);
const hexOfType = (type: string) => {
  const length = { 'sha-256': 64, sha256: 64, 'SHA-1': 40, md5: 32, 'sha-512': 128 }[type] ?? 64;
  return mostly(
    hexOf([length]),
    fc.oneof(hexOf([32, 40, 64, 128, 63, 0]), fc.string({ maxLength: 8 }).map(escapeXml)),
  );
};
const hash = hashType.chain((type) => hexOfType(type).map((digits) => ({ type, digits })));
const url = mostly(
  fc.constantFrom(
    'http://a.example/f',
    'https://user:pw@b.example/f',
    'ftp://c.example/f',
    'sftp://d.example/~/f',
    'ftps://e.example/f',
    'relative/f',
  ),
  fc.oneof(
    fc.constantFrom(
      'file:///etc/passwd',
      'gopher://g.example/f',
      'javascript:alert(1)',
      '//host/f',
      'http://',
      '',
    ),
    fc.string({ maxLength: 16 }).map(escapeXml),
  ),
);
// A piece list that fits the size, most of the time.
const sizeAndPieces = fc
  .tuple(fc.nat({ max: 40 }), fc.integer({ min: 1, max: 16 }), hashType)
  .chain(([size, length, type]) =>
    fc.tuple(
      mostly(fc.constant(String(size)), badNumber),
      mostly(fc.constant(String(length)), badNumber),
      fc.constant(type),
      mostly(fc.constant(Math.ceil(size / length)), fc.nat({ max: 6 })).chain((count) =>
        fc.array(hexOfType(type), { minLength: count, maxLength: count }),
      ),
    ),
  );
const fileBody = (version: 3 | 4) =>
  fc
    .record({
      sizing: sizeAndPieces,
      hasSize: fc.boolean(),
      hasPieces: fc.boolean(),
      hashes: fc.array(hash, { maxLength: 3 }),
      links: fc.array(fc.tuple(fc.boolean(), url, rank), { maxLength: 4 }),
    })
    .map(({ sizing: [size, length, type, pieceHashes], hasSize, hasPieces, hashes, links }) => {
      const sizeXml = hasSize ? `<size>${size}</size>` : '';
      const hashXml = hashes.map((h) => `<hash type="${h.type}">${h.digits}</hash>`).join('');
      const piecesXml = hasPieces
        ? `<pieces type="${type}" length="${length}">${pieceHashes
            .map((digits, index) => `<hash${version === 3 ? ` piece="${index}"` : ''}>${digits}</hash>`)
            .join('')}</pieces>`
        : '';
      const linkXml = links
        .map(([isMeta, link, priority]) =>
          version === 4
            ? `<${isMeta ? 'metaurl mediatype="torrent"' : 'url'} priority="${priority}">${link}</${isMeta ? 'metaurl' : 'url'}>`
            : `<url type="${isMeta ? 'bittorrent' : 'http'}" preference="${priority}">${link}</url>`,
        )
        .join('');
      return version === 4
        ? `${sizeXml}${hashXml}${piecesXml}${linkXml}`
        : `${sizeXml}<verification>${hashXml}${piecesXml}</verification><resources>${linkXml}</resources>`;
    });
const files = (version: 3 | 4) =>
  fc
    .uniqueArray(fc.tuple(name, fileBody(version)), {
      minLength: 1,
      maxLength: 3,
      selector: ([fileName]) => fileName,
    })
    .map((list) => list.map(([fileName, body]) => `<file name="${fileName}">${body}</file>`).join(''));
const metalinkDocument = fc.oneof(
  files(4).map((xml) => `<metalink xmlns="urn:ietf:params:xml:ns:metalink">${xml}</metalink>`),
  files(3).map(
    (xml) => `<metalink version="3.0" xmlns="http://www.metalinker.org/"><files>${xml}</files></metalink>`,
  ),
);

const checksumLine = mostly(
  fc.oneof(
    fc
      .tuple(
        hexOf([32, 40, 64, 128]),
        fc.constantFrom('  ', ' *', ' '),
        fc.string({ minLength: 1, maxLength: 10 }),
      )
      .map(([digits, separator, file]) => `${digits}${separator}${file.replace(/\n/g, '')}`),
    fc
      .tuple(
        fc.constantFrom('SHA256', 'MD5', 'SHA1', 'SHA512'),
        fc.string({ maxLength: 10 }),
        fc.nat({ max: 3 }),
      )
      .map(([tag, file]) => {
        const length = { SHA256: 64, MD5: 32, SHA1: 40, SHA512: 128 }[tag] ?? 64;
        return `${tag} (${file.replace(/\n/g, '')}) = ${'b'.repeat(length)}`;
      }),
    fc.string({ maxLength: 10 }).map((file) => `\\${'a'.repeat(64)}  ${file.replace(/\n/g, '')}`),
    fc.constantFrom('', '# comment'),
  ),
  fc.oneof(
    fc.constantFrom(
      '-----BEGIN PGP SIGNED MESSAGE-----',
      '-----BEGIN PGP SIGNATURE-----',
      '- x',
      `${'c'.repeat(63)}  x`,
    ),
    fc.string({ maxLength: 20 }),
  ),
);

describe(`no input crashes the parsers (seed ${seed})`, () => {
  it('parseMetalink: any string is a Metalink or a BAD_INPUT RegetError', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        resultOrRefusal(() => parseMetalink(text, { baseUrl: 'https://base.example/d/' }));
        resultOrRefusal(() =>
          parseMetalink(`<metalink xmlns="urn:ietf:params:xml:ns:metalink">${text}</metalink>`),
        );
      }),
      runs,
    );
  });

  it('parseMetalink: what it returns from Metalink-shaped input keeps every promise', () => {
    fc.assert(
      fc.property(metalinkDocument, fc.boolean(), (xml, withBase) => {
        const parsed = resultOrRefusal(() =>
          parseMetalink(xml, withBase ? { baseUrl: 'https://base.example/d/list.meta4' } : {}),
        );
        if (parsed === undefined) return;
        expect(parsed.files.length).toBeGreaterThan(0);
        expect(new Set(parsed.files.map((file) => file.name)).size).toBe(parsed.files.length);
        for (const file of parsed.files) {
          expect(safeRelativePath(file.name)).toBe(file.name);
          if (file.size !== undefined) expect(Number.isSafeInteger(file.size) && file.size >= 0).toBe(true);
          for (const hash of file.hashes) {
            expect(hash.hex).toMatch(
              {
                md5: /^[0-9a-f]{32}$/,
                sha1: /^[0-9a-f]{40}$/,
                sha256: /^[0-9a-f]{64}$/,
                sha512: /^[0-9a-f]{128}$/,
              }[hash.algorithm],
            );
          }
          if (file.pieces !== undefined && file.size !== undefined) {
            expect(file.pieces.hashes).toHaveLength(Math.ceil(file.size / file.pieces.length));
          }
          for (const source of [...file.urls, ...file.metaurls]) {
            expect(['http:', 'https:', 'ftp:', 'ftps:', 'sftp:']).toContain(new URL(source.url).protocol);
          }
          const priorities = file.urls.map((source) => source.priority ?? Number.MAX_SAFE_INTEGER);
          expect(priorities).toEqual([...priorities].sort((a, b) => a - b));
        }
      }),
      runs,
    );
  });

  it('parseChecksumList and checksumFor: any string is a list or a BAD_INPUT RegetError', () => {
    const anyText = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.array(checksumLine, { maxLength: 8 }).map((lines) => lines.join('\n')),
    );
    fc.assert(
      fc.property(anyText, fc.string({ maxLength: 10 }), (text, wanted) => {
        const list = resultOrRefusal(() => parseChecksumList(text, { source: 'SHA256SUMS' }));
        if (list === undefined) return;
        for (const entry of list.entries) {
          expect(entry.name).not.toBe('');
          expect(entry.hex).toMatch(/^[0-9a-f]+$/);
        }
        const found = resultOrRefusal(() => checksumFor(list, wanted));
        if (found !== undefined) expect(list.entries).toContain(found);
      }),
      runs,
    );
  });
});

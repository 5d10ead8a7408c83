import { parseChecksum, RegetError } from '@reget/core';
import { describe, expect, it } from 'vitest';
import { parseMetalink, toChecksumOption } from './index.js';

/** The RegetError `action` throws; fails the test when it throws nothing or something else. */
function refusal(action: () => unknown): RegetError {
  try {
    action();
  } catch (error) {
    if (error instanceof RegetError) return error;
    throw new Error(`expected a RegetError, got ${String(error)}`);
  }
  throw new Error('expected a RegetError, but nothing was thrown');
}

/** The check that refused: `details.metalink` of the BAD_INPUT error `action` throws. */
function problemOf(action: () => unknown): unknown {
  const error = refusal(action);
  expect(error.code).toBe('BAD_INPUT');
  // Whatever the input held, the message is one printable line.
  expect(error.message).not.toMatch(/[\p{Cc}\u2028\u2029]/u);
  return error.details.metalink;
}

const sha256 = (digit: string) => digit.repeat(64);
const sha1 = (digit: string) => digit.repeat(40);
const v4 = (files: string, root = '') =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<metalink xmlns="urn:ietf:params:xml:ns:metalink"${root}>\n<published>2026-11-02T10:00:00Z</published>\n${files}\n</metalink>\n`;
const v3 = (files: string) =>
  `<?xml version="1.0" encoding="utf-8"?>\n<metalink version="3.0" xmlns="http://www.metalinker.org/" type="static" generator="MirrorBrain">\n<files>\n${files}\n</files>\n</metalink>\n`;
const file4 = (name: string, body = '<url>https://example.org/x</url>') =>
  `<file name="${name}">${body}</file>`;

// Shaped like what MirrorBrain and aria2's tools publish for a release: two files, mirrors in
// several countries, piece hashes, a torrent, relative mirror paths.
const release = v4(`
  <file name="app-2.4.1.tar.gz">
    <size>20000000</size>
    <identity>app</identity>
    <version>2.4.1</version>
    <description>Source tarball</description>
    <hash type="sha-1">${sha1('A')}</hash>
    <hash type="sha-256">${sha256('B')}</hash>
    <hash type="sha-384">${'c'.repeat(96)}</hash>
    <pieces length="8388608" type="sha-1">
      <hash>${sha1('1')}</hash>
      <hash>${sha1('2')}</hash>
      <hash>${sha1('3')}</hash>
    </pieces>
    <pieces length="4194304" type="sha-256">
      ${[1, 2, 3, 4, 5].map((n) => `<hash>${sha256(String(n))}</hash>`).join('\n      ')}
    </pieces>
    <url location="de" priority="20">ftp://ftp.de.example.net/pub/app/app-2.4.1.tar.gz</url>
    <url location="US" priority="10">https://us.example.com/app/app-2.4.1.tar.gz</url>
    <url>releases/app-2.4.1.tar.gz</url>
    <url location="jp" priority="10">sftp://mirror.example.jp/srv/app/app-2.4.1.tar.gz</url>
    <url priority="5">file:///srv/app/app-2.4.1.tar.gz</url>
    <url priority="1">magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567</url>
    <url priority="2">gopher://user:secret@gopher.example.org/9/app-2.4.1.tar.gz</url>
    <metaurl mediatype="torrent" priority="1">app-2.4.1.tar.gz.torrent</metaurl>
    <signature mediatype="application/pgp-signature">-----BEGIN PGP SIGNATURE-----</signature>
  </file>
  <file name="docs/app-2.4.1-manual.pdf">
    <size>0</size>
    <hash type="MD5">${'d'.repeat(32)}</hash>
    <url priority="3" location="fr">http://fr.example.org/app/manual.pdf</url>
    <url priority="1">https://user:secret@private.example.org/manual.pdf</url>
    <url priority="2">https://private.example.org/manual.pdf?token=abc</url>
  </file>`);

describe('parseMetalink: Metalink 4 (RFC 5854)', () => {
  const parsed = parseMetalink(release, { baseUrl: 'https://downloads.example.com/app/app.meta4' });

  it('reads every file with its name, size, hashes (strongest first, lower case) and pieces', () => {
    expect(parsed.version).toBe(4);
    expect(parsed.files.map((file) => file.name)).toEqual(['app-2.4.1.tar.gz', 'docs/app-2.4.1-manual.pdf']);
    const [app, manual] = parsed.files;
    expect(app?.size).toBe(20_000_000);
    expect(app?.hashes).toEqual([
      { algorithm: 'sha256', hex: sha256('b') },
      { algorithm: 'sha1', hex: sha1('a') },
    ]);
    // Of two piece lists, the stronger algorithm is the one kept.
    expect(app?.pieces).toEqual({
      algorithm: 'sha256',
      length: 4_194_304,
      hashes: [1, 2, 3, 4, 5].map((n) => sha256(String(n))),
    });
    expect(manual?.size).toBe(0);
    expect(manual?.hashes).toEqual([{ algorithm: 'md5', hex: 'd'.repeat(32) }]);
    expect(manual?.pieces).toBeUndefined();
  });

  it('sorts URLs by priority (1 best, none last, document order among equals) and resolves relative ones', () => {
    expect(parsed.files[0]?.urls).toEqual([
      { url: 'https://us.example.com/app/app-2.4.1.tar.gz', priority: 10, location: 'us' },
      { url: 'sftp://mirror.example.jp/srv/app/app-2.4.1.tar.gz', priority: 10, location: 'jp' },
      { url: 'ftp://ftp.de.example.net/pub/app/app-2.4.1.tar.gz', priority: 20, location: 'de' },
      { url: 'https://downloads.example.com/app/releases/app-2.4.1.tar.gz' },
    ]);
    expect(parsed.files[1]?.urls.map((url) => url.priority)).toEqual([1, 2, 3]);
  });

  it('lists metaurls apart from URLs, resolved the same way, and never as a download source', () => {
    expect(parsed.files[0]?.metaurls).toEqual([
      {
        url: 'https://downloads.example.com/app/app-2.4.1.tar.gz.torrent',
        mediaType: 'torrent',
        priority: 1,
      },
    ]);
    expect(parsed.files[0]?.urls.some((url) => url.url.endsWith('.torrent'))).toBe(false);
  });

  it('reports what it left out and why, with no password in the report', () => {
    expect(parsed.skipped).toEqual([
      {
        file: 'app-2.4.1.tar.gz',
        kind: 'hash',
        value: 'sha-384',
        reason: expect.stringContaining('sha-256'),
      },
      {
        file: 'app-2.4.1.tar.gz',
        kind: 'url',
        value: 'file:///srv/app/app-2.4.1.tar.gz',
        reason: expect.stringContaining('file:'),
      },
      {
        file: 'app-2.4.1.tar.gz',
        kind: 'url',
        value: expect.stringMatching(/^magnet:/),
        reason: expect.any(String),
      },
      {
        file: 'app-2.4.1.tar.gz',
        kind: 'url',
        value: 'gopher://gopher.example.org/9/app-2.4.1.tar.gz',
        reason: expect.stringContaining('gopher:'),
      },
    ]);
    // The kept URL keeps its credentials: the caller needs them to download.
    expect(parsed.files[1]?.urls[0]?.url).toBe('https://user:secret@private.example.org/manual.pdf');
  });

  it('skips relative URLs when no base URL is known, and says so', () => {
    const alone = parseMetalink(release);
    expect(alone.files[0]?.urls.map((url) => url.url)).not.toContain(expect.stringContaining('releases/'));
    expect(alone.files[0]?.urls).toHaveLength(3);
    expect(alone.files[0]?.metaurls).toEqual([]);
    expect(
      alone.skipped.filter((entry) => entry.reason.includes('baseUrl')).map((entry) => entry.value),
    ).toEqual(['releases/app-2.4.1.tar.gz', 'app-2.4.1.tar.gz.torrent']);
  });

  it('honours xml:base, resolved against the base URL', () => {
    const parsed = parseMetalink(
      v4(
        `<file name="a.iso" xml:base="mirror/"><url>a.iso</url><url xml:base="ftp://other.example/pub/">a.iso</url></file>`,
      ),
      { baseUrl: new URL('https://example.com/d/list.meta4') },
    );
    expect(parsed.files[0]?.urls.map((url) => url.url)).toEqual([
      'https://example.com/d/mirror/a.iso',
      'ftp://other.example/pub/a.iso',
    ]);
  });

  it('skips URLs with a priority outside 1 to 999999, keeps the rest', () => {
    const parsed = parseMetalink(
      v4(
        file4(
          'a',
          '<url priority="0">https://a.example/a</url><url priority="-1">https://b.example/a</url><url priority="x">https://c.example/a</url><url priority="999999">https://d.example/a</url>',
        ),
      ),
    );
    expect(parsed.files[0]?.urls).toEqual([{ url: 'https://d.example/a', priority: 999999 }]);
    expect(parsed.skipped.map((entry) => entry.reason)).toEqual(
      Array(3).fill(expect.stringContaining('1 to 999999')),
    );
  });

  it('reads a document whose namespace is bound to a prefix, and ignores foreign elements', () => {
    const xml = `<ml:metalink xmlns:ml="urn:ietf:params:xml:ns:metalink" xmlns:x="urn:example:other">
      <x:file name="ignored"/><ml:file name="a.bin"><x:url>http://ignored.example/</x:url>
      <ml:url>http://kept.example/a.bin</ml:url><![CDATA[]]></ml:file></ml:metalink>`;
    const parsed = parseMetalink(xml);
    expect(parsed.files).toEqual([
      { name: 'a.bin', hashes: [], urls: [{ url: 'http://kept.example/a.bin' }], metaurls: [] },
    ]);
  });

  it('keeps one copy of a URL listed twice, the best-ranked', () => {
    const parsed = parseMetalink(
      v4(file4('a', '<url priority="9">http://a.example/a</url><url priority="2">http://a.example/a</url>')),
    );
    expect(parsed.files[0]?.urls).toEqual([{ url: 'http://a.example/a', priority: 2 }]);
  });

  it("converts its hashes to core's checksum option, which core parses back unchanged", () => {
    for (const hash of parsed.files.flatMap((file) => file.hashes)) {
      expect(parseChecksum(toChecksumOption(hash))).toEqual(hash);
    }
    expect(toChecksumOption(parsed.files[0]!.hashes[0]!)).toBe(`sha256:${sha256('b')}`);
  });
});

describe('parseMetalink: Metalink 3.0', () => {
  const mirrors = v3(`
    <file name="distro-12.iso">
      <size>10</size>
      <verification>
        <hash type="md5">${'e'.repeat(32)}</hash>
        <hash type="sha1">${sha1('f')}</hash>
        <hash type="sha256">${sha256('0')}</hash>
        <hash type="tiger">0123</hash>
        <pieces length="4" type="sha1">
          <hash piece="2">${sha1('3')}</hash>
          <hash piece="0">${sha1('1')}</hash>
          <hash piece="1">${sha1('2')}</hash>
        </pieces>
        <signature type="pgp">-----BEGIN PGP SIGNATURE-----</signature>
      </verification>
      <resources maxconnections="4">
        <url type="http" location="de" preference="90">http://de.example.net/distro-12.iso</url>
        <url type="ftp" location="us" preference="100">ftp://us.example.com/pub/distro-12.iso</url>
        <url type="https">https://nowhere.example/distro-12.iso</url>
        <url type="https" preference="0">https://last.example/distro-12.iso</url>
        <url type="http" preference="101">http://bad.example/distro-12.iso</url>
        <url type="bittorrent" preference="100">http://t.example.org/distro-12.iso.torrent</url>
      </resources>
    </file>`);
  const parsed = parseMetalink(mirrors);
  const [file] = parsed.files;

  it('reads hashes from <verification>, pieces by their piece numbers', () => {
    expect(parsed.version).toBe(3);
    expect(file?.name).toBe('distro-12.iso');
    expect(file?.size).toBe(10);
    expect(file?.hashes.map((hash) => hash.algorithm)).toEqual(['sha256', 'sha1', 'md5']);
    expect(file?.pieces).toEqual({ algorithm: 'sha1', length: 4, hashes: [sha1('1'), sha1('2'), sha1('3')] });
    expect(parsed.skipped).toContainEqual({
      file: 'distro-12.iso',
      kind: 'hash',
      value: 'tiger',
      reason: expect.any(String),
    });
  });

  it('turns preference (100 best) into priority (1 best): priority = 101 − preference', () => {
    expect(file?.urls).toEqual([
      { url: 'ftp://us.example.com/pub/distro-12.iso', priority: 1, location: 'us' },
      { url: 'http://de.example.net/distro-12.iso', priority: 11, location: 'de' },
      { url: 'https://last.example/distro-12.iso', priority: 101 },
      { url: 'https://nowhere.example/distro-12.iso' },
    ]);
    expect(parsed.skipped).toContainEqual({
      file: 'distro-12.iso',
      kind: 'url',
      value: 'http://bad.example/distro-12.iso',
      reason: expect.stringContaining('0 to 100'),
    });
  });

  it('lists a type="bittorrent" URL as a metaurl', () => {
    expect(file?.metaurls).toEqual([
      { url: 'http://t.example.org/distro-12.iso.torrent', mediaType: 'torrent', priority: 1 },
    ]);
  });

  it('refuses piece numbers that are not 0 to n−1 each once', () => {
    for (const numbers of [
      [0, 0, 1],
      [1, 2, 3],
      [0, 1, -1],
    ]) {
      const pieces = numbers.map((n) => `<hash piece="${n}">${sha1('1')}</hash>`).join('');
      const xml = v3(
        `<file name="a"><size>12</size><verification><pieces length="4" type="sha1">${pieces}</pieces></verification></file>`,
      );
      expect(problemOf(() => parseMetalink(xml))).toBe('pieces');
    }
  });
});

describe('parseMetalink refuses what it will not trust', () => {
  // Names as written in the attribute: a line break or tab must be a character reference there, since
  // XML turns a literal one into a space; XML 1.1 allows the other control characters that way too.
  it.each([
    ['../x', 'parent-segment'],
    ['/etc/x', 'absolute'],
    ['a/../../b', 'parent-segment'],
    ['C:\\x', 'backslash'],
    ['C:x', 'windows-character'],
    ['a&#10;b', 'control-character'],
    ['a&#9;b', 'control-character'],
    ['a&#x85;b', 'control-character'],
    ['', 'empty'],
    ['a//b', 'empty-segment'],
    ['dir/', 'empty-segment'],
    ['.ssh/authorized_keys', 'dot-segment'],
    ['./a', 'dot-segment'],
    ['NUL.txt', 'windows-reserved'],
    ['a./b', 'trailing-dot-or-space'],
  ])('a file named %j (%s)', (name, rule) => {
    const error = refusal(() => parseMetalink(v4(file4(name, ''))));
    expect(problemOf(() => parseMetalink(v4(file4(name, ''))))).toBe('file-name');
    expect(error.details.unsafeName).toBe(rule);
  });

  it('a file named with a NUL or another C0 control character (XML 1.1 character references)', () => {
    for (const reference of ['&#1;', '&#x1f;']) {
      const xml = v4(file4(`a${reference}b`)).replace('version="1.0"', 'version="1.1"');
      expect(refusal(() => parseMetalink(xml)).details).toEqual({
        metalink: 'file-name',
        unsafeName: 'control-character',
      });
    }
    // XML has no way to carry a NUL at all: the parser refuses the reference itself.
    expect(problemOf(() => parseMetalink(v4(file4('a&#0;b'))))).toBe('not-xml');
  });

  it('a file with no name, or a name listed twice', () => {
    expect(problemOf(() => parseMetalink(v4('<file><url>http://a.example/a</url></file>')))).toBe(
      'file-name',
    );
    expect(problemOf(() => parseMetalink(v4(file4('a') + file4('a'))))).toBe('duplicate-name');
  });

  it('"billion laughs" entity expansion, refused at the DOCTYPE, fast', () => {
    const laughs = Array.from({ length: 9 }, (_, level) =>
      level === 0 ? '<!ENTITY lol0 "lol">' : `<!ENTITY lol${level} "${`&lol${level - 1};`.repeat(10)}">`,
    ).join('\n');
    const body = '<file name="a"><description>&lol8;</description><url>http://a.example/a</url></file>';
    const xml = `<?xml version="1.0"?>\n<!DOCTYPE metalink [\n${laughs}\n]>\n<metalink xmlns="urn:ietf:params:xml:ns:metalink">${body}</metalink>`;
    const started = performance.now();
    expect(problemOf(() => parseMetalink(xml))).toBe('doctype');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('an external entity (XXE), a parameter entity, and a DOCTYPE with no entity at all', () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE metalink [<!ENTITY secret SYSTEM "file:///etc/passwd">]><metalink xmlns="urn:ietf:params:xml:ns:metalink"><file name="a"><description>&secret;</description></file></metalink>`;
    expect(problemOf(() => parseMetalink(xxe))).toBe('doctype');
    const parameter = `<!DOCTYPE m [<!ENTITY % remote SYSTEM "http://attacker.example/x.dtd"> %remote;]><metalink xmlns="urn:ietf:params:xml:ns:metalink"/>`;
    expect(problemOf(() => parseMetalink(parameter))).toBe('doctype');
    const plain = `<!DOCTYPE metalink SYSTEM "metalink.dtd"><metalink xmlns="urn:ietf:params:xml:ns:metalink">${file4('a')}</metalink>`;
    expect(problemOf(() => parseMetalink(plain))).toBe('doctype');
  });

  it.each([['-1'], ['1.5'], ['1e3'], ['0x10'], [''], ['9007199254740992'], ['12 bytes']])(
    'size %j',
    (size) => {
      expect(problemOf(() => parseMetalink(v4(file4('a', `<size>${size}</size>`))))).toBe('size');
    },
  );

  it('two sizes for one file', () => {
    expect(problemOf(() => parseMetalink(v4(file4('a', '<size>1</size><size>1</size>'))))).toBe('size');
  });

  it('accepts the largest safe size, with whitespace around it', () => {
    const parsed = parseMetalink(v4(file4('a', '<size>\n  9007199254740991\n</size>')));
    expect(parsed.files[0]?.size).toBe(Number.MAX_SAFE_INTEGER);
  });

  it.each([
    ['sha-256', sha256('a').slice(1)],
    ['sha-256', `${sha256('a')}0`],
    ['sha-1', sha256('a')],
    ['md5', 'g'.repeat(32)],
    ['sha-512', ''],
  ])('a %s hash of the wrong length or not hex', (type, hex) => {
    expect(problemOf(() => parseMetalink(v4(file4('a', `<hash type="${type}">${hex}</hash>`))))).toBe('hash');
  });

  it('two different hashes of one algorithm for one file (one written sha-256, one sha256)', () => {
    const body = `<hash type="sha-256">${sha256('a')}</hash><hash type="sha256">${sha256('b')}</hash>`;
    expect(problemOf(() => parseMetalink(v4(file4('a', body))))).toBe('hash');
    const same = `<hash type="sha-256">${sha256('a')}</hash><hash type="SHA256">${sha256('A')}</hash>`;
    expect(parseMetalink(v4(file4('a', same))).files[0]?.hashes).toHaveLength(1);
  });

  it.each([
    [10, 4, 2],
    [10, 4, 4],
    [0, 4, 1],
    [8, 4, 1],
  ])('a piece list that does not fit the size (%i bytes, pieces of %i, %i hashes)', (size, length, count) => {
    const hashes = `<hash>${sha1('1')}</hash>`.repeat(count);
    const body = `<size>${size}</size><pieces length="${length}" type="sha-1">${hashes}</pieces>`;
    expect(problemOf(() => parseMetalink(v4(file4('a', body))))).toBe('pieces');
  });

  it.each([['0'], ['-4'], [''], ['4.0']])('a piece length of %j', (length) => {
    const body = `<pieces length="${length}" type="sha-1"><hash>${sha1('1')}</hash></pieces>`;
    expect(problemOf(() => parseMetalink(v4(file4('a', body))))).toBe('pieces');
  });

  it('a piece hash of the wrong length, and a piece list with no hash and no size', () => {
    const body = `<size>4</size><pieces length="4" type="sha-1"><hash>${sha256('1')}</hash></pieces>`;
    expect(problemOf(() => parseMetalink(v4(file4('a', body))))).toBe('pieces');
    expect(problemOf(() => parseMetalink(v4(file4('a', '<pieces length="4" type="sha-1"/>'))))).toBe(
      'pieces',
    );
  });

  it('accepts a piece list that fits: 10 bytes in pieces of 4 are 3 pieces, 8 bytes 2, 0 bytes none', () => {
    const list = (count: number) => `<hash>${sha1('1')}</hash>`.repeat(count);
    for (const [size, count] of [
      [10, 3],
      [8, 2],
      [0, 0],
    ] as const) {
      const body = `<size>${size}</size><pieces length="4" type="sha-1">${list(count)}</pieces>`;
      expect(parseMetalink(v4(file4('a', body))).files[0]?.pieces?.hashes).toHaveLength(count);
    }
  });

  it('input over the size cap, counted in bytes, before parsing it', () => {
    const big = v4(file4('a', `<description>${'x'.repeat(2048)}</description>`));
    expect(problemOf(() => parseMetalink(big, { maxBytes: 1024 }))).toBe('too-large');
    // 400 three-byte characters: 400 characters, but 1200 bytes.
    const euros = v4(file4('a', `<description>${'€'.repeat(400)}</description>`));
    expect(euros.length).toBeLessThan(1024);
    expect(problemOf(() => parseMetalink(euros, { maxBytes: 1024 }))).toBe('too-large');
    // Not well-formed past the cap: refused for its size, so the parser never saw it.
    expect(problemOf(() => parseMetalink(`<a>${'<'.repeat(2048)}`, { maxBytes: 1024 }))).toBe('too-large');
    expect(parseMetalink(euros).files).toHaveLength(1);
  });

  it('more elements than maxElements, counting only the ones reget reads', () => {
    const urls = (count: number) => v4(file4('a', '<url>http://a.example/a</url>'.repeat(count)));
    // The root, the file and its URLs: 1 + 1 + 8 = 10.
    expect(parseMetalink(urls(8), { maxElements: 10 }).files).toHaveLength(1);
    expect(problemOf(() => parseMetalink(urls(9), { maxElements: 10 }))).toBe('too-large');
    // Elements reget does not read are dropped as they stream past, and cost nothing.
    const foreign = v4(file4('a', `<description>${'<x><y/></x>'.repeat(1000)}</description>`));
    expect(parseMetalink(foreign, { maxElements: 10 }).files).toHaveLength(1);
  });

  it.each([
    ['no <file>', v4(''), 'no-file'],
    [
      'a root named like an Object property',
      '<constructor xmlns="urn:ietf:params:xml:ns:metalink"><file name="a"/></constructor>',
      'not-metalink',
    ],
    ['a Metalink 3 with an empty <files>', v3(''), 'no-file'],
    [
      'no namespace',
      '<metalink><file name="a"><url>http://a.example/a</url></file></metalink>',
      'not-metalink',
    ],
    ['another root', '<rss version="2.0"><channel/></rss>', 'not-metalink'],
    ['an HTML error page', '<!DOCTYPE html><html><body>404</body></html>', 'doctype'],
    ['not XML', 'SHA256 (a) = 00', 'not-xml'],
    ['truncated XML', v4(file4('a')).slice(0, 90), 'not-xml'],
    ['empty input', '', 'not-xml'],
    ['an unknown entity', v4(file4('a', '<description>&nbsp;</description>')), 'not-xml'],
  ])('%s', (_, xml, problem) => {
    expect(problemOf(() => parseMetalink(xml))).toBe(problem);
  });

  it('a base URL that is not absolute', () => {
    expect(problemOf(() => parseMetalink(v4(file4('a')), { baseUrl: 'downloads/' }))).toBe('base-url');
  });
});

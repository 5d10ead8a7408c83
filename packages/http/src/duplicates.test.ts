import { describe, expect, it } from 'vitest';
import { duplicatesOf, maximumDuplicates, metalinkUrlOf } from './duplicates.js';
import { parseLinkHeader } from './link.js';

const base = new URL('http://download.example.org/distribution/file.iso');
const duplicates = (header: string | string[], exclude?: ReadonlySet<string>) =>
  duplicatesOf(parseLinkHeader(header, base), base, exclude);

describe('duplicatesOf (RFC 6249 rel=duplicate)', () => {
  it('orders MirrorBrain’s mirrors by pri, lowest first', () => {
    expect(
      duplicates([
        '<http://download.example.org/distribution/file.iso.meta4>; rel=describedby; type="application/metalink4+xml"',
        '<http://mirror-c.example/file.iso>; rel=duplicate; pri=3; geo=at',
        '<http://mirror-a.example/file.iso>; rel=duplicate; pri=1; geo=de',
        '<ftp://mirror-b.example/file.iso>; rel=duplicate; pri=2; geo=de',
      ]),
    ).toEqual([
      'http://mirror-a.example/file.iso',
      'ftp://mirror-b.example/file.iso',
      'http://mirror-c.example/file.iso',
    ]);
  });

  it('puts pref links first; a missing or invalid pri counts as 999999; ties keep their order', () => {
    expect(
      duplicates(
        [
          '<http://none.example/f>; rel=duplicate',
          '<http://zero.example/f>; rel=duplicate; pri=0',
          '<http://huge.example/f>; rel=duplicate; pri=1000000',
          '<http://signed.example/f>; rel=duplicate; pri=-1',
          '<http://two.example/f>; rel=duplicate; pri=2',
          '<http://preferred.example/f>; rel=duplicate; pri=50; pref',
          '<http://quoted.example/f>; rel=duplicate; pri="1"',
          '<http://max.example/f>; rel=duplicate; pri=999999',
        ].join(', '),
      ),
    ).toEqual([
      'http://preferred.example/f',
      'http://quoted.example/f',
      'http://two.example/f',
      'http://none.example/f',
      'http://zero.example/f',
      'http://huge.example/f',
      'http://signed.example/f',
      'http://max.example/f',
    ]);
  });

  it('keeps http, https, ftp, ftps and sftp targets only, without credentials or fragment', () => {
    expect(
      duplicates(
        [
          '<https://user:secret@a.example/f#part>; rel=duplicate',
          '<ftps://b.example/f>; rel=duplicate',
          '<sftp://c.example/f>; rel=duplicate',
          '<file:///etc/passwd>; rel=duplicate',
          '<magnet:?xt=urn:btih:abc>; rel=duplicate',
          '<javascript:alert(1)>; rel=duplicate',
          '<data:text/plain,x>; rel=duplicate',
        ].join(', '),
      ),
    ).toEqual(['https://a.example/f', 'ftps://b.example/f', 'sftp://c.example/f']);
  });

  it('lists a location once, at its best rank, and never one of the excluded URLs', () => {
    expect(
      duplicates(
        [
          '<http://a.example/f>; rel=duplicate; pri=5',
          '<http://b.example/f>; rel=duplicate; pri=2',
          '<http://a.example/f>; rel=duplicate; pri=1',
          '<http://u:p@b.example/f>; rel=duplicate; pri=9',
          '<http://download.example.org/distribution/file.iso>; rel=duplicate',
        ].join(', '),
        new Set([base.href]),
      ),
    ).toEqual(['http://a.example/f', 'http://b.example/f']);
  });

  it('ignores links of other relations and links about another resource (anchor)', () => {
    expect(
      duplicates(
        [
          '<http://a.example/f>; rel=alternate',
          '<http://b.example/f>',
          '<http://c.example/other>; rel=duplicate; anchor="/other"',
          '<http://d.example/f>; rel=duplicate; anchor="file.iso"',
        ].join(', '),
      ),
    ).toEqual(['http://d.example/f']);
  });

  it(`lists at most ${maximumDuplicates}`, () => {
    const header = Array.from({ length: 40 }, (_, index) => `<http://m${index}.example/f>; rel=duplicate`);
    const list = duplicates(header);
    expect(list).toHaveLength(maximumDuplicates);
    expect(list.at(-1)).toBe(`http://m${maximumDuplicates - 1}.example/f`);
  });
});

describe('metalinkUrlOf (RFC 6249 rel=describedby)', () => {
  it('is the first Metalink 4 document over http(s), without credentials', () => {
    const links = parseLinkHeader(
      [
        '<file.iso.asc>; rel=describedby; type="application/pgp-signature"',
        '<ftp://x.example/file.iso.meta4>; rel=describedby; type="application/metalink4+xml"',
        '<https://u:p@y.example/file.iso.meta4>; rel=describedby; type="Application/Metalink4+XML"',
        '<file.iso.meta4>; rel=describedby; type="application/metalink4+xml"',
      ].join(', '),
      base,
    );
    expect(metalinkUrlOf(links, base)).toBe('https://y.example/file.iso.meta4');
    expect(metalinkUrlOf(parseLinkHeader('<f.meta4>; rel=describedby', base), base)).toBeUndefined();
  });
});

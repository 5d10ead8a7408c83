import { describe, expect, it } from 'vitest';
import { parseLinkHeader, type WebLink } from './link.js';

const base = new URL('https://download.example.org/pub/file.iso');
const summary = (links: readonly WebLink[]) =>
  links.map((link) => ({
    target: link.target.href,
    relations: link.relations,
    parameters: Object.fromEntries(link.parameters),
  }));

describe('parseLinkHeader (RFC 8288)', () => {
  it('reads MirrorBrain’s links: describedby with a quoted type, duplicates with pri and geo', () => {
    const header = [
      '<https://download.example.org/pub/file.iso.meta4>; rel=describedby; type="application/metalink4+xml"',
      '<http://ftp.example.de/mirror/file.iso>; rel=duplicate; pri=1; geo=de',
      '<ftp://ftp.example.fr/pub/file.iso>; rel=duplicate; pri=2; geo=fr; depth=3',
    ].join(', ');
    expect(summary(parseLinkHeader(header, base))).toEqual([
      {
        target: 'https://download.example.org/pub/file.iso.meta4',
        relations: ['describedby'],
        parameters: { rel: 'describedby', type: 'application/metalink4+xml' },
      },
      {
        target: 'http://ftp.example.de/mirror/file.iso',
        relations: ['duplicate'],
        parameters: { rel: 'duplicate', pri: '1', geo: 'de' },
      },
      {
        target: 'ftp://ftp.example.fr/pub/file.iso',
        relations: ['duplicate'],
        parameters: { rel: 'duplicate', pri: '2', geo: 'fr', depth: '3' },
      },
    ]);
  });

  it('reads several field lines, relation lists in any case, and flag parameters', () => {
    const links = parseLinkHeader(
      ['<http://a.example/f>; rel="Duplicate  describedby"; pref', '<http://b.example/f>;REL=duplicate'],
      base,
    );
    expect(summary(links)).toEqual([
      {
        target: 'http://a.example/f',
        relations: ['duplicate', 'describedby'],
        parameters: { rel: 'Duplicate  describedby', pref: '' },
      },
      { target: 'http://b.example/f', relations: ['duplicate'], parameters: { rel: 'duplicate' } },
    ]);
  });

  it('resolves relative references against the answer’s URL', () => {
    const links = parseLinkHeader(
      '</other/file.iso>; rel=duplicate, <file.iso.meta4>; rel=describedby',
      base,
    );
    expect(links.map((link) => link.target.href)).toEqual([
      'https://download.example.org/other/file.iso',
      'https://download.example.org/pub/file.iso.meta4',
    ]);
  });

  it('keeps commas, semicolons and escaped quotes inside URIs and quoted values', () => {
    const links = parseLinkHeader(
      '<http://m.example/a,b;c.iso>; rel=duplicate; title="x, y; \\"z\\"", <http://n.example/f>; rel=duplicate',
      base,
    );
    expect(summary(links)).toEqual([
      {
        target: 'http://m.example/a,b;c.iso',
        relations: ['duplicate'],
        parameters: { rel: 'duplicate', title: 'x, y; "z"' },
      },
      { target: 'http://n.example/f', relations: ['duplicate'], parameters: { rel: 'duplicate' } },
    ]);
  });

  it('takes the first rel only, and sets the context from anchor', () => {
    const [link] = parseLinkHeader('<http://m.example/f>; rel=duplicate; rel=describedby; anchor="/x"', base);
    expect(link?.relations).toEqual(['duplicate']);
    expect(link?.context.href).toBe('https://download.example.org/x');
    expect(parseLinkHeader('<http://m.example/f>; rel=duplicate', base)[0]?.context.href).toBe(base.href);
  });

  it('skips a malformed link-value and keeps the others', () => {
    const header = [
      'http://no-brackets.example/f; rel=duplicate',
      '<http://unclosed.example/f; rel=duplicate',
    ].join(', ');
    expect(parseLinkHeader(header, base)).toEqual([]);
    const mixed = [
      'garbage',
      '<http://one.example/f>; rel=duplicate',
      '<http://two.example/f> junk; rel=duplicate',
      '<http://[bad/f>; rel=duplicate',
      '<http://three.example/f>; rel="duplicate',
    ].join(', ');
    expect(parseLinkHeader(mixed, base).map((link) => link.target.href)).toEqual(['http://one.example/f']);
    expect(
      parseLinkHeader('<http://x.example/f> junk, <http://four.example/f>; rel=duplicate', base).map(
        (link) => link.target.host,
      ),
    ).toEqual(['four.example']);
  });

  it('reads at most 256 links', () => {
    const header = Array.from({ length: 300 }, (_, index) => `<http://m${index}.example/f>; rel=duplicate`);
    const links = parseLinkHeader(header, base);
    expect(links).toHaveLength(256);
    expect(links[255]?.target.host).toBe('m255.example');
  });

  it('is empty without a header', () => {
    expect(parseLinkHeader(undefined, base)).toEqual([]);
    expect(parseLinkHeader(' , ,', base)).toEqual([]);
  });
});

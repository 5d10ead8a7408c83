import { outcomeOf, propertyParameters, untrustedText, urlOf, urlParts } from '@reget/testkit/property';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { duplicatesOf, maximumDuplicates, metalinkUrlOf } from './duplicates.js';
import { parseLinkHeader } from './link.js';

const base = new URL('https://redirector.example/pub/file.iso');
const mirrorSchemes = ['http:', 'https:', 'ftp:', 'ftps:', 'sftp:'];

/** One mirror as a redirector announces it. */
interface Mirror {
  readonly url: string;
  readonly priority: number | undefined;
  readonly isPreferred: boolean;
  readonly geo: string | undefined;
}

const mirror: fc.Arbitrary<Mirror> = fc.record({
  url: urlParts(fc.constantFrom('http', 'https', 'ftp', 'ftps', 'sftp')).map(urlOf),
  priority: fc.option(fc.integer({ min: 1, max: 999_999 }), { nil: undefined }),
  isPreferred: fc.boolean(),
  geo: fc.option(fc.stringMatching(/^[a-z]{2}$/), { nil: undefined }),
});

const space = fc.constantFrom('', ' ', '  ', '\t');

/** A link-value for `entry`, spaced, quoted and cased in any of the ways RFC 8288 allows. */
const linkValue = (entry: Mirror) =>
  fc
    .record({
      before: space,
      after: space,
      relName: fc.mixedCase(fc.constant('rel')),
      rel: fc.constantFrom('duplicate', '"duplicate"', 'DUPLICATE', '"describedby duplicate"'),
      isPriorityQuoted: fc.boolean(),
      decoy: fc.constantFrom('', '; title="a, b; <c>"', '; depth=2', '; type=text/html'),
      order: fc.integer({ min: 0, max: 3 }),
    })
    .map(({ before, after, relName, rel, isPriorityQuoted, decoy, order }) => {
      const priority =
        entry.priority === undefined
          ? []
          : [isPriorityQuoted ? `pri="${entry.priority}"` : `pri=${entry.priority}`];
      const parameters = [
        `${relName}=${rel}`,
        ...priority,
        ...(entry.isPreferred ? ['pref'] : []),
        ...(entry.geo === undefined ? [] : [`geo=${entry.geo}`]),
      ];
      // Parameters in any order; rel is looked up by name, wherever it stands.
      const turned = [
        ...parameters.slice(order % parameters.length),
        ...parameters.slice(0, order % parameters.length),
      ];
      return `${before}<${entry.url}>${after}${turned.map((parameter) => `;${before}${parameter}`).join('')}${decoy}`;
    });

/** A Link field of mirrors: one line joined with commas, or several lines. */
const linkField = (mirrors: readonly Mirror[]) =>
  fc
    .tuple(fc.tuple(...mirrors.map(linkValue)), fc.boolean())
    .map(([values, isOneLine]): string | string[] => (isOneLine ? values.join(',') : values));

/** What a correct reader reports: absolute, no credentials, pref first, then pri, ties in order. */
function expectedDuplicates(mirrors: readonly Mirror[]): string[] {
  const ranked = mirrors
    .map((entry, order) => {
      const url = new URL(entry.url);
      url.username = '';
      url.password = '';
      return { href: url.href, entry, order };
    })
    .sort(
      (a, b) =>
        Number(b.entry.isPreferred) - Number(a.entry.isPreferred) ||
        (a.entry.priority ?? 999_999) - (b.entry.priority ?? 999_999) ||
        a.order - b.order,
    );
  return [...new Set(ranked.map((item) => item.href))].slice(0, maximumDuplicates);
}

const mirrors = fc.array(mirror, { minLength: 1, maxLength: 25 });
const validField = mirrors
  .chain(linkField)
  .map((field) => (typeof field === 'string' ? field : field.join(', ')));

describe('Link and rel=duplicate properties (RFC 8288, RFC 6249)', () => {
  it('never throws, and reports only absolute mirror URLs without credentials, once each', () => {
    fc.assert(
      fc.property(untrustedText(validField), (field) => {
        const outcome = outcomeOf(() => {
          const links = parseLinkHeader(field, base);
          return { duplicates: duplicatesOf(links, base), metalinkUrl: metalinkUrlOf(links, base) };
        });
        expect(outcome).not.toHaveProperty('error');
        if (!('value' in outcome)) return;
        const { duplicates } = outcome.value;
        expect(duplicates.length).toBeLessThanOrEqual(maximumDuplicates);
        expect(new Set(duplicates).size).toBe(duplicates.length);
        for (const duplicate of duplicates) {
          const url = new URL(duplicate);
          expect(mirrorSchemes).toContain(url.protocol);
          expect([url.username, url.password, url.hash]).toEqual(['', '', '']);
        }
      }),
      propertyParameters(),
    );
  });

  it('reads back every mirror it was given, best first, however the field is written', () => {
    fc.assert(
      fc.property(
        mirrors.chain((list) => linkField(list).map((field) => ({ list, field }))),
        ({ list, field }) => {
          expect(duplicatesOf(parseLinkHeader(field, base), base)).toEqual(expectedDuplicates(list));
        },
      ),
      propertyParameters(),
    );
  });
});

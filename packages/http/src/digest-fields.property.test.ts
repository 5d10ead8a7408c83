import type { PublishedDigest } from '@reget/core';
import { outcomeOf, propertyParameters, untrustedText } from '@reget/testkit/property';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseInstanceDigest, parseReprDigest, publishedDigestsOf } from './digest-fields.js';

type Algorithm = PublishedDigest['algorithm'];

const lengths: Record<Algorithm, number> = { sha512: 64, sha256: 32, sha1: 20, md5: 16 };
const strength: Algorithm[] = ['sha512', 'sha256', 'sha1', 'md5'];
/** Names in a Digest field (RFC 3230, RFC 5843), and keys in a Repr-Digest (RFC 9530 registry). */
const instanceNames: Record<Algorithm, readonly string[]> = {
  sha512: ['SHA-512'],
  sha256: ['SHA-256'],
  sha1: ['SHA', 'SHA-1'],
  md5: ['MD5'],
};
const reprKeys: Record<Algorithm, string> = { sha512: 'sha-512', sha256: 'sha-256', sha1: 'sha', md5: 'md5' };

interface Published {
  readonly algorithm: Algorithm;
  readonly bytes: Uint8Array;
}

/** One to four digests of distinct algorithms, in any order. */
const digests: fc.Arbitrary<Published[]> = fc
  .shuffledSubarray(strength, { minLength: 1 })
  .chain((algorithms) =>
    fc.tuple(
      ...algorithms.map((algorithm) =>
        fc
          .uint8Array({ minLength: lengths[algorithm], maxLength: lengths[algorithm] })
          .map((bytes) => ({ algorithm, bytes })),
      ),
    ),
  );

const expected = (list: readonly Published[]) =>
  [...list]
    .sort((a, b) => strength.indexOf(a.algorithm) - strength.indexOf(b.algorithm))
    .map(({ algorithm, bytes }) => ({ algorithm, hex: Buffer.from(bytes).toString('hex') }));

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const space = fc.constantFrom('', ' ', '  ', '\t');

/** A Digest field for `list`: names in any case, padding kept or not, one line or several. */
const instanceField = (list: readonly Published[]) =>
  fc
    .tuple(
      fc.tuple(
        ...list.map(({ algorithm, bytes }) =>
          fc
            .record({
              name: fc.mixedCase(fc.constantFrom(...instanceNames[algorithm])),
              isPadded: fc.boolean(),
              before: space,
              after: space,
            })
            .map(
              ({ name, isPadded, before, after }) =>
                `${before}${name}=${isPadded ? base64(bytes) : base64(bytes).replace(/=+$/, '')}${after}`,
            ),
        ),
      ),
      fc.boolean(),
    )
    .map(([pairs, isOneLine]): string | string[] => (isOneLine ? pairs.join(',') : pairs));

/** A Repr-Digest field for `list`, members with or without parameters. */
const reprField = (list: readonly Published[]) =>
  fc
    .tuple(...list.map(() => fc.tuple(fc.constantFrom('', ';a=1', ';note="x, y"', ';b'), space)))
    .map((decorations) =>
      list
        .map(({ algorithm, bytes }, index) => {
          const [parameters, gap] = decorations[index]!;
          return `${reprKeys[algorithm]}=:${base64(bytes)}:${parameters}${gap}`;
        })
        .join(', '),
    );

const oneLine = (field: string | string[]) => (typeof field === 'string' ? field : field.join(', '));
const validInstance = digests.chain(instanceField).map(oneLine);
const validRepr = digests.chain(reprField);

function expectWellFormed(list: readonly PublishedDigest[]): void {
  expect(new Set(list.map((digest) => digest.algorithm)).size).toBe(list.length);
  for (const { algorithm, hex } of list) {
    expect(hex).toMatch(new RegExp(`^[0-9a-f]{${lengths[algorithm] * 2}}$`));
  }
}

describe('Digest and Repr-Digest properties (RFC 3230, RFC 9530)', () => {
  it('never throws on any Digest or Repr-Digest, and reports only well-formed digests', () => {
    fc.assert(
      fc.property(untrustedText(validInstance), untrustedText(validRepr), (instance, repr) => {
        for (const parse of [
          () => parseInstanceDigest(instance),
          () => parseReprDigest(repr),
          () => parseReprDigest(instance),
          () => publishedDigestsOf({ digest: instance, 'repr-digest': repr }),
        ]) {
          const outcome = outcomeOf(parse);
          expect(outcome).not.toHaveProperty('error');
          if ('value' in outcome) expectWellFormed(outcome.value);
        }
      }),
      propertyParameters(),
    );
  });

  it('reads back the digests of a Digest field, however it is written', () => {
    fc.assert(
      fc.property(
        digests.chain((list) => instanceField(list).map((field) => ({ list, field }))),
        ({ list, field }) => {
          expect(parseInstanceDigest(field)).toEqual(expected(list));
        },
      ),
      propertyParameters(),
    );
  });

  it('reads back the digests of a Repr-Digest field, and they win over Digest’s', () => {
    fc.assert(
      fc.property(
        digests.chain((list) => reprField(list).map((field) => ({ list, field }))),
        digests.chain(instanceField),
        ({ list, field }, instance) => {
          expect(parseReprDigest(field)).toEqual(expected(list));
          const published = publishedDigestsOf({ 'repr-digest': field, digest: instance });
          for (const digest of expected(list)) expect(published).toContainEqual(digest);
          expectWellFormed(published);
        },
      ),
      propertyParameters(),
    );
  });
});

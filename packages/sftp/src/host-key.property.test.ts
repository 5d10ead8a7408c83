import { ErrorCode } from '@reget/core';
import { anyText, nearValid, outcomeOf, propertyParameters } from '@reget/testkit/property';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fingerprintOf, normalizeFingerprint } from './host-key.js';
import { hostKeyPolicyOf } from './options.js';

const keyBytes = fc.uint8Array({ minLength: 1, maxLength: 600 }).map((bytes) => Buffer.from(bytes));
const fingerprint = keyBytes.map(fingerprintOf);
/** How users paste a fingerprint: as `ssh-keygen -l` prints it, padded with `=`, with spaces around. */
const pasted = fc
  .tuple(fingerprint, fc.constantFrom('', '='), fc.constantFrom('', ' ', '\t', '\n'))
  .map(([text, padding, space]) => ({ fingerprint: text, text: `${space}${text}${padding}${space}` }));

describe('normalizeFingerprint properties', () => {
  it('gives `SHA256:` and 43 base64 characters, or undefined, for any text', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, nearValid(fingerprint)), (text) => {
        const outcome = outcomeOf(() => normalizeFingerprint(text));
        expect(outcome).not.toHaveProperty('error');
        const normal = 'value' in outcome ? outcome.value : undefined;
        if (normal !== undefined) expect(normal).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
      }),
      propertyParameters(),
    );
  });

  it('reads back the fingerprint of any key, padded or not, with spaces around', () => {
    fc.assert(
      fc.property(pasted, ({ fingerprint: expected, text }) => {
        expect(normalizeFingerprint(text)).toBe(expected);
      }),
      propertyParameters(),
    );
  });

  it('refuses a fingerprint a character short or long, or of another hash', () => {
    const refused = fc.oneof(
      fingerprint.map((text) => text.slice(0, -1)),
      fingerprint.map((text) => `${text}A`),
      fingerprint.map((text) => text.replace('SHA256:', 'MD5:')),
      fingerprint.map((text) => text.replace('SHA256:', 'sha256:')),
    );
    fc.assert(
      fc.property(refused, (text) => {
        expect(normalizeFingerprint(text)).toBeUndefined();
      }),
      propertyParameters(),
    );
  });
});

describe('hostKeyPolicyOf properties (the hostKey option)', () => {
  it('pins what parses, or refuses the option with BAD_INPUT and a one-line message', () => {
    const given = fc.oneof(
      fc.oneof(anyText, nearValid(fingerprint)),
      fc.array(fc.oneof(anyText, fingerprint), { maxLength: 3 }),
    );
    fc.assert(
      fc.property(given, (hostKey) => {
        const outcome = outcomeOf(() => hostKeyPolicyOf({ hostKey }));
        if ('error' in outcome) {
          expect(outcome.error.code).toBe(ErrorCode.BAD_INPUT);
          return;
        }
        const policy = outcome.value;
        expect(policy.kind).toBe('pinned');
        if (policy.kind === 'pinned') {
          for (const pinned of policy.fingerprints) expect(pinned).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
        }
      }),
      propertyParameters(),
    );
  });

  it('pins every fingerprint of a list as OpenSSH prints it', () => {
    fc.assert(
      fc.property(fc.array(pasted, { minLength: 1, maxLength: 3 }), (list) => {
        expect(hostKeyPolicyOf({ hostKey: list.map(({ text }) => text) })).toEqual({
          kind: 'pinned',
          fingerprints: list.map(({ fingerprint: expected }) => expected),
        });
      }),
      propertyParameters(),
    );
  });
});

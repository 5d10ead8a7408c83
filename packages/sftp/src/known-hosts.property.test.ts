import { anyText, nearValid, outcomeOf, propertyParameters, urlHost } from '@reget/testkit/property';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatKnownHostsLine,
  hashHostName,
  knownHostsName,
  parseKnownHosts,
  readKeyType,
} from './known-hosts.js';

/** A public key blob (RFC 4253 §6.6): its type as an SSH string, then key bytes (random here). */
const keyBlob = fc
  .tuple(
    fc.oneof(
      fc.constantFrom('ssh-ed25519', 'ecdsa-sha2-nistp256', 'ssh-rsa', 'sk-ssh-ed25519@openssh.com'),
      fc.stringMatching(/^[a-z][a-z0-9@.-]{0,40}$/),
    ),
    fc.uint8Array({ minLength: 0, maxLength: 64 }),
  )
  .map(([type, body]) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(type.length);
    return { type, blob: Buffer.concat([length, Buffer.from(type, 'latin1'), body]) };
  });

/** A host as OpenSSH records it: `host` on port 22, `[host]:port` elsewhere. */
const hostName = fc
  .tuple(urlHost, fc.oneof(fc.constant(22), fc.integer({ min: 1, max: 65_535 })))
  .map(([{ host }, port]) => knownHostsName(host, port));

const validLine = fc
  .tuple(hostName, keyBlob, fc.boolean())
  .map(([name, { blob }, isHashed]) => formatKnownHostsLine(name, blob, isHashed));

/** A known_hosts file: valid lines, near-valid ones, markers, comments and blank lines, any line ending. */
const knownHostsText = fc
  .array(
    fc.oneof(
      validLine,
      nearValid(validLine),
      validLine.map((line) => `@revoked ${line}`),
      validLine.map((line) => `@cert-authority ${line}`),
      fc.constantFrom('# comment', '', '   ', '@revoked', '|1|', '|1|a|b host'),
      anyText,
    ),
    { maxLength: 6 },
  )
  .chain((lines) => fc.constantFrom('\n', '\r\n').map((end) => lines.join(end)));

describe('parseKnownHosts properties (sshd(8) SSH_KNOWN_HOSTS FILE FORMAT)', () => {
  it('skips what it cannot read, never throws, and every entry holds a key of its stated type', () => {
    fc.assert(
      fc.property(knownHostsText, fc.oneof(hostName, anyText), (text, name) => {
        const outcome = outcomeOf(() => {
          const entries = parseKnownHosts(text);
          // Matching runs inside the key exchange: it must not throw either, whatever the name.
          return entries.map((entry) => ({ entry, isMatched: entry.matches(name) }));
        });
        expect(outcome).not.toHaveProperty('error');
        for (const { entry, isMatched } of 'value' in outcome ? outcome.value : []) {
          expect(readKeyType(entry.key)).toBe(entry.keyType);
          expect(typeof isMatched).toBe('boolean');
        }
      }),
      propertyParameters(),
    );
  });

  it('reads back a line it formatted: the key, its type, and a match for that host only', () => {
    fc.assert(
      fc.property(hostName, hostName, keyBlob, fc.boolean(), (name, otherName, { type, blob }, isHashed) => {
        const entries = parseKnownHosts(formatKnownHostsLine(name, blob, isHashed));
        expect(entries).toHaveLength(1);
        const [entry] = entries;
        expect(entry?.keyType).toBe(type);
        expect(entry?.key.equals(blob)).toBe(true);
        expect(entry?.isRevoked).toBe(false);
        expect(entry?.matches(name)).toBe(true);
        if (otherName !== name) expect(entry?.matches(otherName)).toBe(false);
      }),
      propertyParameters(),
    );
  });

  it('keeps @revoked on a line, and never matches a host its negated pattern names', () => {
    fc.assert(
      fc.property(hostName, keyBlob, (name, { blob }) => {
        const line = `@revoked *,!${name} ${formatKnownHostsLine('x', blob).split(' ').slice(1).join(' ')}`;
        const [entry] = parseKnownHosts(line);
        expect(entry?.isRevoked).toBe(true);
        expect(entry?.matches(name)).toBe(false);
        expect(entry?.matches(`not-${name}`)).toBe(true);
      }),
      propertyParameters(),
    );
  });

  it('matches a hashed host field only for the name hashed into it', () => {
    fc.assert(
      fc.property(
        hostName,
        hostName,
        fc.uint8Array({ minLength: 1, maxLength: 32 }),
        keyBlob,
        (name, other, salt, { type, blob }) => {
          const field = hashHostName(name, Buffer.from(salt));
          const [entry] = parseKnownHosts(`${field} ${type} ${blob.toString('base64')}`);
          expect(entry?.matches(name)).toBe(true);
          if (other !== name) expect(entry?.matches(other)).toBe(false);
        },
      ),
      propertyParameters(),
    );
  });

  it('refuses a line whose key blob names another type than the line', () => {
    fc.assert(
      fc.property(hostName, keyBlob, keyBlob, (name, { blob }, { type: otherType }) => {
        fc.pre(readKeyType(blob) !== otherType);
        expect(parseKnownHosts(`${name} ${otherType} ${blob.toString('base64')}`)).toEqual([]);
      }),
      propertyParameters(),
    );
  });

  it('matches wildcard patterns quickly, however many stars a line holds', () => {
    const pattern = fc.oneof(
      fc
        .array(fc.constantFrom('*', '?', 'a', '.', '*a'), { minLength: 1, maxLength: 40 })
        .map((parts) => parts.join('')),
      // Four stars between runs of `a` or `?`, and an `a` last that a name ending in `b` never
      // matches: a backtracking matcher takes about a second for that on a 253-character name
      // (more stars would take hours, which would hang this test rather than fail it).
      fc
        .array(fc.constantFrom('', 'a', '?', 'a?', '?a'), { minLength: 4, maxLength: 4 })
        .map((pieces) => `${pieces.map((piece) => `*${piece}`).join('')}a`),
    );
    // Host names are at most 253 characters (RFC 1035); the long ones are the slow ones.
    const name = fc.noBias(fc.integer({ min: 200, max: 253 })).map((length) => `${'a'.repeat(length - 1)}b`);
    fc.assert(
      fc.property(pattern, name, keyBlob, (hosts, host, { type, blob }) => {
        const [entry] = parseKnownHosts(`${hosts} ${type} ${blob.toString('base64')}`);
        outcomeOf(() => entry?.matches(host));
      }),
      propertyParameters(),
    );
  });
});

describe('known_hosts wildcards', () => {
  it('match exactly as the anchored regular expression `*` → `.*`, `?` → `.` would', () => {
    const alphabet = fc.constantFrom('a', 'b', '.', '-');
    const pattern = fc.string({
      unit: fc.oneof(alphabet, fc.constantFrom('*', '?')),
      minLength: 1,
      maxLength: 8,
    });
    const name = fc.string({ unit: alphabet, maxLength: 12 });
    fc.assert(
      fc.property(pattern, name, keyBlob, (hosts, host, { type, blob }) => {
        const [entry] = parseKnownHosts(`${hosts} ${type} ${blob.toString('base64')}`);
        const source = hosts.replace(/[.-]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
        expect(entry?.matches(host)).toBe(new RegExp(`^${source}$`).test(host));
      }),
      propertyParameters(),
    );
  });
});

describe('readKeyType properties (RFC 4253 §6.6)', () => {
  it('gives the type of any blob that starts with one, and undefined for any other bytes', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          keyBlob.map(({ blob }) => blob),
          fc.uint8Array({ maxLength: 80 }).map((bytes) => Buffer.from(bytes)),
        ),
        (blob) => {
          const outcome = outcomeOf(() => readKeyType(blob));
          expect(outcome).not.toHaveProperty('error');
        },
      ),
      propertyParameters(),
    );
    fc.assert(
      fc.property(keyBlob, ({ type, blob }) => {
        expect(readKeyType(blob)).toBe(type);
      }),
      propertyParameters(),
    );
  });
});

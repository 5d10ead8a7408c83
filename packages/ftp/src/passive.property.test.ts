import { anyText, nearValid, outcomeOf, propertyParameters } from '@reget/testkit/property';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEpsvPort, parsePasvPort } from './passive.js';

const port = fc.integer({ min: 1, max: 65_535 });
const byte = fc.nat(255);
const address = fc.tuple(byte, byte, byte, byte);

/** A 227 reply as servers write it: in parentheses or not, with or without text after it. */
const pasvReply = fc
  .record({
    address,
    port,
    form: fc.constantFrom(
      '227 Entering Passive Mode (%).',
      '227 Entering Passive Mode %',
      '227 =%',
      '227 ok (%)',
    ),
  })
  .map(({ address: [a, b, c, d], port: value, form }) => ({
    port: value,
    text: form.replace('%', `${a},${b},${c},${d},${Math.floor(value / 256)},${value % 256}`),
  }));

// RFC 2428 §3 allows any printable ASCII delimiter; `|` is the one servers use. A digit would
// run into the port, so none is generated.
const delimiter = fc.constantFrom(...'|!#$%&*+-./:;<=>?@^_~');
const epsvReply = fc.tuple(port, delimiter).map(([value, mark]) => ({
  port: value,
  text: `229 Entering Extended Passive Mode (${mark}${mark}${mark}${value}${mark})`,
}));

/** Whatever the parser says, it is a port a data connection can be made to, or nothing. */
function expectUsablePort(parse: () => number | undefined): void {
  const outcome = outcomeOf(parse);
  expect(outcome).not.toHaveProperty('error');
  const value = 'value' in outcome ? outcome.value : undefined;
  if (value !== undefined) expect(Number.isInteger(value) && value >= 1 && value <= 65_535).toBe(true);
}

describe('parsePasvPort properties (RFC 959 §4.1.2)', () => {
  it('gives a port from 1 to 65535 or undefined for any reply, and never throws', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, nearValid(pasvReply.map(({ text }) => text))), (reply) => {
        expectUsablePort(() => parsePasvPort(reply));
      }),
      propertyParameters(),
    );
  });

  it('reads back the port p1 × 256 + p2 a reply was built from, whatever address it names', () => {
    fc.assert(
      fc.property(pasvReply, ({ port: value, text }) => {
        expect(parsePasvPort(text)).toBe(value);
      }),
      propertyParameters(),
    );
  });

  it('refuses a port byte above 255, and port 0', () => {
    const refused = fc.oneof(
      fc
        .tuple(address, fc.integer({ min: 256, max: 999 }), byte, fc.boolean())
        .map(
          ([[a, b, c, d], big, small, isHigh]) =>
            `227 (${a},${b},${c},${d},${isHigh ? big : small},${isHigh ? small : big})`,
        ),
      address.map(([a, b, c, d]) => `227 (${a},${b},${c},${d},0,0)`),
    );
    fc.assert(
      fc.property(refused, (reply) => {
        expect(parsePasvPort(reply)).toBeUndefined();
      }),
      propertyParameters(),
    );
  });
});

describe('parseEpsvPort properties (RFC 2428 §3)', () => {
  it('gives a port from 1 to 65535 or undefined for any reply, and never throws', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, nearValid(epsvReply.map(({ text }) => text))), (reply) => {
        expectUsablePort(() => parseEpsvPort(reply));
      }),
      propertyParameters(),
    );
  });

  it('reads back the port between the delimiters', () => {
    fc.assert(
      fc.property(epsvReply, ({ port: value, text }) => {
        expect(parseEpsvPort(text)).toBe(value);
      }),
      propertyParameters(),
    );
  });

  it('refuses port 0, a port above 65535, and delimiters that differ', () => {
    const refused = fc.oneof(
      fc.integer({ min: 65_536, max: 99_999 }).map((value) => `229 (|||${value}|)`),
      fc.constantFrom('229 (|||0|)', '229 (|||00000|)'),
      fc
        .tuple(port, delimiter, delimiter)
        .filter(([, one, other]) => one !== other)
        .map(([value, one, other]) => `229 (${one}${one}${one}${value}${other})`),
    );
    fc.assert(
      fc.property(refused, (reply) => {
        expect(parseEpsvPort(reply)).toBeUndefined();
      }),
      propertyParameters(),
    );
  });
});

import fc from 'fast-check';
import { awkwardCharacter } from './text.js';

/** A URL's parts as a parser should read them back: hosts without brackets, everything decoded. */
export interface UrlParts {
  readonly scheme: string;
  /** Undefined when the URL has no user name. */
  readonly user: string | undefined;
  /** Undefined when the URL has no password. */
  readonly password: string | undefined;
  /** The host as written in the URL (IPv6 in brackets, maybe in upper case and in full). */
  readonly writtenHost: string;
  /** The host a parser should report: lower case, IPv6 in RFC 5952 form without brackets. */
  readonly host: string;
  readonly port: number | undefined;
  /** Percent-decoded path segments; the URL's path is `/` followed by them joined with `/`. */
  readonly segments: readonly string[];
}

const lowSurrogate = /[\udc00-\udfff]/;
const highSurrogate = /[\ud800-\udbff]/;

/** Whether `text` has no lone surrogate, which `encodeURIComponent` cannot encode. */
function isWellFormed(text: string): boolean {
  return ![...text].some(
    (char) => char.length === 1 && (lowSurrogate.test(char) || highSurrogate.test(char)),
  );
}

/**
 * Text for a credential or a path segment: ASCII (reserved characters included), awkward characters
 * and graphemes of any script. Percent-encoded by {@link urlOf}, so any of it is safe in a URL.
 */
export const componentText = (constraints: { minLength?: number; maxLength?: number } = {}) =>
  fc
    .string({
      unit: fc.oneof(
        fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 }),
        awkwardCharacter,
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
      ),
      maxLength: 24,
      ...constraints,
    })
    .filter(isWellFormed);

const label = fc
  .stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/)
  .filter((text) => !text.includes('--'));
// The last label starts with a letter: WHATWG reads a host ending in a number as IPv4.
const topLabel = fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/);
const domain = fc
  .tuple(fc.array(label, { maxLength: 3 }), topLabel)
  .map(([labels, top]) => ({ writtenHost: [...labels, top].join('.'), host: [...labels, top].join('.') }));

const ipV4 = fc
  .tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255))
  .map((bytes) => ({ writtenHost: bytes.join('.'), host: bytes.join('.') }));

/** RFC 5952 text of eight 16-bit groups: lower-case hex, the first longest run of zeros as `::`. */
function canonicalIpV6(groups: readonly number[]): string {
  let best = { start: -1, length: 1 };
  for (let start = 0; start < 8; start++) {
    let length = 0;
    while (start + length < 8 && groups[start + length] === 0) length++;
    if (length > best.length) best = { start, length };
  }
  const hex = groups.map((group) => group.toString(16));
  if (best.start < 0) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`;
}

// Zeros are frequent so that `::` appears in every position.
const ipV6Group = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
const ipV6 = fc
  .tuple(fc.array(ipV6Group, { minLength: 8, maxLength: 8 }), fc.boolean())
  .map(([groups, isFull]) => ({
    // Written in full and in upper case, or canonical: both must read back as the canonical form.
    writtenHost: `[${isFull ? groups.map((group) => group.toString(16).padStart(4, '0').toUpperCase()).join(':') : canonicalIpV6(groups)}]`,
    host: canonicalIpV6(groups),
  }));

/** A host name, an IPv4 address or an IPv6 literal. */
export const urlHost = fc.oneof(domain, ipV4, ipV6);

/** Path segments a URL parser keeps as they are: no `.` or `..`, which WHATWG URL resolves away. */
export const pathSegments = (constraints: { minLength?: number; maxLength?: number } = {}) =>
  fc.array(
    componentText().filter((segment) => segment !== '.' && segment !== '..'),
    { minLength: 1, maxLength: 4, ...constraints },
  );

/**
 * URL parts for `scheme`, with a user and password present or not, any port from 1 to 65535 or
 * none, and at least one path segment, the last one not empty (a file, not a directory).
 */
export function urlParts(scheme: fc.Arbitrary<string>): fc.Arbitrary<UrlParts> {
  return fc
    .record({
      scheme,
      user: fc.option(componentText({ minLength: 1 }), { nil: undefined }),
      password: fc.option(componentText({ minLength: 1 }), { nil: undefined }),
      host: urlHost,
      port: fc.option(fc.integer({ min: 1, max: 65_535 }), { nil: undefined }),
      segments: pathSegments().filter((segments) => segments.at(-1) !== ''),
    })
    .map(({ host, ...rest }) => ({ ...rest, ...host }));
}

/** The URL text of `parts`, every credential and segment percent-encoded. */
export function urlOf(parts: UrlParts): string {
  const user = parts.user === undefined ? '' : encodeURIComponent(parts.user);
  const password = parts.password === undefined ? '' : `:${encodeURIComponent(parts.password)}`;
  const credentials = user === '' && password === '' ? '' : `${user}${password}@`;
  const port = parts.port === undefined ? '' : `:${parts.port}`;
  const path = parts.segments.map((segment) => encodeURIComponent(segment)).join('/');
  return `${parts.scheme}://${credentials}${parts.writtenHost}${port}/${path}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * What must never appear in a message about a URL holding `secret`: every four characters of it in
 * a row, as written and percent-encoded, except those that also occur in `rest` (the URL without
 * the secret), where they may be shown without leaking anything.
 */
export function secretFragments(secret: string, rest: string): string[] {
  const elsewhere = [rest, encodeURI(rest), safeDecode(rest)].join('\n').toLowerCase();
  const fragments = new Set<string>();
  for (const form of [secret, encodeURIComponent(secret)]) {
    const characters = [...form];
    const width = Math.min(4, characters.length);
    for (let start = 0; start + width <= characters.length; start++) {
      const fragment = characters.slice(start, start + width).join('');
      if (!elsewhere.includes(fragment.toLowerCase())) fragments.add(fragment);
    }
  }
  return [...fragments];
}

/**
 * The fragments of a password typed into `text` that must not be shown ({@link secretFragments}).
 * In text that parses as a URL with a host, the password is what the URL parser reads as one: a
 * raw `?`, `#` or `/` ends it, and what follows is a query, a fragment or a path, which is shown.
 * In anything else, it is the whole `password` the user typed; `rest` is `text` without it.
 */
export function passwordFragments(text: string, password: string, rest: string): string[] {
  const parsed = URL.canParse(text) ? new URL(text) : undefined;
  if (parsed === undefined || parsed.host === '') return secretFragments(password, rest);
  if (parsed.password === '') return [];
  const withoutPassword = new URL(parsed.href);
  withoutPassword.password = '';
  const shown = withoutPassword.href;
  // A raw `%` stays as it is in a URL's password, which then does not decode.
  return [...secretFragments(safeDecode(parsed.password), shown), ...secretFragments(parsed.password, shown)];
}

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** One usable line of a known_hosts file (sshd(8), "SSH_KNOWN_HOSTS FILE FORMAT"). */
export interface KnownHostEntry {
  /** `@revoked` lines name keys that must never be accepted; `@cert-authority` lines are skipped. */
  readonly isRevoked: boolean;
  /** Whether the entry applies to a host name as OpenSSH spells it (`host` or `[host]:port`). */
  matches(name: string): boolean;
  /** Key type as written, e.g. `ssh-ed25519`. */
  readonly keyType: string;
  /** The public key blob (RFC 4253 §6.6). */
  readonly key: Buffer;
}

/**
 * The name OpenSSH records for a host: `host` on port 22, `[host]:port` elsewhere, lower case.
 */
export function knownHostsName(host: string, port: number): string {
  const lower = host.toLowerCase();
  return port === 22 ? lower : `[${lower}]:${port}`;
}

/**
 * Parses known_hosts text. Lines that cannot be parsed are skipped, as OpenSSH does, so a corrupt
 * line makes its host unknown (and refused) rather than trusted.
 */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: string | undefined;
    if (fields[0]?.startsWith('@')) marker = fields.shift();
    if (marker === '@cert-authority') continue;
    if (marker !== undefined && marker !== '@revoked') continue;
    const [hosts, keyType, keyText] = fields;
    if (hosts === undefined || keyType === undefined || keyText === undefined) continue;
    const key = decodeKey(keyText, keyType);
    const matches = hostMatcher(hosts);
    if (key === undefined || matches === undefined) continue;
    entries.push({ isRevoked: marker === '@revoked', matches, keyType, key });
  }
  return entries;
}

/**
 * A known_hosts line for a host key, as `ssh-keyscan` would print it; `isHashed` hides the host
 * name like `HashKnownHosts yes` (`|1|salt|hmac-sha1`).
 */
export function formatKnownHostsLine(name: string, key: Buffer, isHashed = false): string {
  const keyType = readKeyType(key) ?? 'unknown';
  const hostField = isHashed ? hashHostName(name, randomBytes(20)) : name;
  return `${hostField} ${keyType} ${key.toString('base64')}`;
}

/** `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`, OpenSSH's hashed host field. */
export function hashHostName(name: string, salt: Buffer): string {
  const digest = createHmac('sha1', salt).update(name).digest();
  return `|1|${salt.toString('base64')}|${digest.toString('base64')}`;
}

function hostMatcher(hosts: string): ((name: string) => boolean) | undefined {
  if (hosts.startsWith('|')) {
    const [, magic, saltText, hashText] = hosts.split('|');
    if (magic !== '1' || saltText === undefined || hashText === undefined) return undefined;
    const salt = Buffer.from(saltText, 'base64');
    const expected = Buffer.from(hashText, 'base64');
    if (expected.length !== 20) return undefined;
    return (name) => timingSafeEqual(createHmac('sha1', salt).update(name).digest(), expected);
  }
  const patterns = hosts.split(',').filter((pattern) => pattern !== '');
  if (patterns.length === 0) return undefined;
  return (name) => {
    let isMatched = false;
    for (const pattern of patterns) {
      const isNegated = pattern.startsWith('!');
      if (!wildcardMatch(isNegated ? pattern.slice(1) : pattern, name)) continue;
      // A matching negated pattern excludes the host whatever else matches (sshd(8)).
      if (isNegated) return false;
      isMatched = true;
    }
    return isMatched;
  };
}

/**
 * Whether `name` matches `pattern`, where `*` is any run of characters and `?` any one. Two
 * pointers and the last star, not a regular expression: `*a*a*a*a` as `^.*a.*a.*a.*a$` backtracks
 * for seconds on a long name, inside the key exchange, where this runs synchronously.
 */
function wildcardMatch(pattern: string, name: string): boolean {
  const wanted = pattern.toLowerCase();
  let at = 0;
  let nameAt = 0;
  // Where the last star stands, and the name position it currently swallows up to.
  let star = -1;
  let starNameAt = 0;
  while (nameAt < name.length) {
    const char = wanted[at];
    if (char === '*') {
      star = at++;
      starNameAt = nameAt;
    } else if (char !== undefined && (char === '?' || char === name[nameAt])) {
      at++;
      nameAt++;
    } else if (star >= 0) {
      // Let the last star swallow one more character and try again from just after it.
      at = star + 1;
      nameAt = ++starNameAt;
    } else {
      return false;
    }
  }
  while (wanted[at] === '*') at++;
  return at === wanted.length;
}

function decodeKey(text: string, keyType: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  const key = Buffer.from(text, 'base64');
  // The blob names its own type; a line whose type and blob disagree is corrupt.
  return readKeyType(key) === keyType ? key : undefined;
}

/** The key type string at the start of a public key blob, or undefined when malformed. */
export function readKeyType(key: Buffer): string | undefined {
  if (key.length < 4) return undefined;
  const length = key.readUInt32BE(0);
  if (length === 0 || length > 64 || key.length < 4 + length) return undefined;
  return key.toString('latin1', 4, 4 + length);
}

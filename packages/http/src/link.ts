/** One link of a `Link` header (RFC 8288 §3), its target resolved. */
export interface WebLink {
  /** The target, resolved against the URL of the response that carried it (RFC 8288 §3.1). */
  readonly target: URL;
  /** What the link is about: the response's URL, or the resolved `anchor` (RFC 8288 §3.2). */
  readonly context: URL;
  /** The relation types of `rel`, lower case (RFC 8288 §2.1.1 compares them case-insensitively). */
  readonly relations: readonly string[];
  /** Every parameter by lower-case name, first occurrence only (RFC 8288 §3), values unquoted. */
  readonly parameters: ReadonlyMap<string, string>;
}

/** More link-values than any download redirector sends; the rest are not parsed. */
const maximumLinks = 256;

const whitespace = new Set([' ', '\t']);

/** A cursor over one field value, for the parsing algorithm of RFC 8288 Appendix B. */
class Cursor {
  position = 0;
  constructor(readonly text: string) {}

  get isDone(): boolean {
    return this.position >= this.text.length;
  }

  peek(): string | undefined {
    return this.text[this.position];
  }

  skipWhitespace(): void {
    while (whitespace.has(this.text[this.position] ?? '')) this.position += 1;
  }

  /** Consumes up to (not including) the first of `stops`, or to the end. */
  takeUntil(stops: string): string {
    const start = this.position;
    while (this.position < this.text.length && !stops.includes(this.text[this.position]!)) {
      this.position += 1;
    }
    return this.text.slice(start, this.position);
  }

  /** A quoted-string after its opening quote (RFC 9110 §5.6.4), or undefined when unterminated. */
  takeQuoted(): string | undefined {
    let value = '';
    while (this.position < this.text.length) {
      const char = this.text[this.position]!;
      this.position += 1;
      if (char === '"') return value;
      if (char === '\\' && this.position < this.text.length) {
        value += this.text[this.position]!;
        this.position += 1;
      } else {
        value += char;
      }
    }
    return undefined;
  }

  /**
   * Skips the rest of a malformed link-value: to just past the next comma outside `<…>` and quoted
   * strings, so one bad link does not take the others with it.
   */
  skipLinkValue(): void {
    while (this.position < this.text.length) {
      const char = this.text[this.position]!;
      this.position += 1;
      if (char === ',') return;
      if (char === '<') this.takeUntil('>');
      else if (char === '"' && this.takeQuoted() === undefined) return;
    }
  }
}

/** `; name[=value]` parameters (RFC 8288 Appendix B.3), or undefined when one is malformed. */
function parseParameters(cursor: Cursor): Map<string, string> | undefined {
  const parameters = new Map<string, string>();
  for (;;) {
    cursor.skipWhitespace();
    if (cursor.isDone || cursor.peek() === ',') return parameters;
    if (cursor.peek() !== ';') return undefined;
    cursor.position += 1;
    cursor.skipWhitespace();
    const name = cursor.takeUntil('=;,').trim().toLowerCase();
    let value = '';
    if (cursor.peek() === '=') {
      cursor.position += 1;
      cursor.skipWhitespace();
      if (cursor.peek() === '"') {
        cursor.position += 1;
        const quoted = cursor.takeQuoted();
        if (quoted === undefined) return undefined;
        value = quoted;
      } else {
        value = cursor.takeUntil(';,').trim();
      }
    }
    // Only the first `rel` counts (RFC 8288 §3.3); the first of any other name is as good a rule.
    if (name !== '' && !parameters.has(name)) parameters.set(name, value);
  }
}

function resolve(reference: string, base: URL): URL | undefined {
  try {
    return new URL(reference, base);
  } catch {
    return undefined;
  }
}

/** One link-value at the cursor, or undefined when it is malformed (the cursor is then past it). */
function parseLinkValue(cursor: Cursor, base: URL): WebLink | undefined {
  if (cursor.peek() !== '<') return undefined;
  cursor.position += 1;
  const reference = cursor.takeUntil('>');
  if (cursor.peek() !== '>') return undefined;
  cursor.position += 1;
  const parameters = parseParameters(cursor);
  if (parameters === undefined) return undefined;
  const target = resolve(reference.trim(), base);
  const anchor = parameters.get('anchor');
  const context = anchor === undefined ? base : resolve(anchor, base);
  if (target === undefined || context === undefined) return undefined;
  const relations = (parameters.get('rel') ?? '')
    .toLowerCase()
    .split(/[ \t]+/)
    .filter((relation) => relation !== '');
  return { target, context, relations, parameters };
}

/**
 * The links of a `Link` field (RFC 8288 §3): `<uri-reference>; rel=duplicate; pri=1`, several per
 * field and several fields (joined with commas), quoted parameter values, relation lists such as
 * `rel="duplicate describedby"`. Relative references resolve against `base`, the URL of the
 * response that carried the field. A malformed link-value is skipped, the others kept; at most 256
 * are read. Never throws.
 */
export function parseLinkHeader(value: string | readonly string[] | undefined, base: URL): WebLink[] {
  if (value === undefined) return [];
  const text = typeof value === 'string' ? value : value.join(', ');
  const cursor = new Cursor(text);
  const links: WebLink[] = [];
  while (links.length < maximumLinks) {
    cursor.skipWhitespace();
    while (cursor.peek() === ',') {
      cursor.position += 1;
      cursor.skipWhitespace();
    }
    if (cursor.isDone) break;
    const link = parseLinkValue(cursor, base);
    if (link === undefined) {
      cursor.skipLinkValue();
      continue;
    }
    links.push(link);
  }
  return links;
}

import { redactUrl } from '@reget/core';

// A URL in running text: a scheme, `://`, and everything up to a space, quote or angle bracket.
const urlPattern = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi;
// Punctuation that ends a sentence rather than the URL.
const trailingPunctuation = /[.,;:!?)\]]+$/;

/**
 * The last line of defence for FAULTS SEC-10: every secret the CLI knows (URL passwords, the
 * REGET_PASSWORD value, a key passphrase, header values that look like credentials) is registered
 * here, and every line the CLI prints passes through {@link SecretScrubber.scrub}. Messages are
 * built without secrets in the first place; this catches what a library might let slip (a `--debug`
 * stack, a server error echoing a URL).
 */
export class SecretScrubber {
  readonly #secrets = new Set<string>();

  /**
   * Registers a secret in its raw, percent-encoded and percent-decoded forms. Secrets shorter than
   * three characters are ignored: masking every "a" in the output would hide everything and protect
   * nothing a guess would not find.
   */
  add(secret: string | undefined): void {
    if (secret === undefined) return;
    for (const form of [secret, safeDecode(secret), encodeURIComponent(secret)]) {
      if (form.length >= 3) this.#secrets.add(form);
    }
  }

  /** Registers the password of a URL. */
  addUrl(url: URL): void {
    this.add(url.password);
  }

  /**
   * `text` with every URL's credentials and signature parameters redacted (core's `redactUrl`:
   * a signed URL is a password too), then every registered secret replaced by `***`, longest first.
   */
  scrub(text: string): string {
    let result = text.replace(urlPattern, redactUrlInText);
    for (const secret of [...this.#secrets].sort((a, b) => b.length - a.length)) {
      result = result.split(secret).join('***');
    }
    return result;
  }
}

/** Header names whose values are credentials; their values are registered as secrets. */
export function isSensitiveHeader(name: string): boolean {
  return /^(authorization|proxy-authorization|cookie|x-api-key|x-auth-token)$/i.test(name);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A URL found in text, redacted when it holds anything to hide, otherwise left exactly as written. */
function redactUrlInText(match: string): string {
  const punctuation = trailingPunctuation.exec(match)?.[0] ?? '';
  const candidate = match.slice(0, match.length - punctuation.length);
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return match;
  }
  const hasCredentials = url.username !== '' || url.password !== '';
  const redacted = redactUrl(url);
  url.username = '';
  url.password = '';
  // Nothing to hide: keep the URL exactly as written (URL parsing would normalise it).
  if (!hasCredentials && redacted === url.href) return match;
  return `${redacted}${punctuation}`;
}

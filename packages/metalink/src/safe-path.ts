import { ErrorCode, RegetError } from '@reget/core';
import { quote } from './untrusted.js';

// Names Windows reserves whatever the extension; refused so a file set written here can be copied anywhere.
const reservedNames = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?$/i;
// Characters Windows refuses in a name (":" also makes "C:x" drive-relative and "a:b" a data stream).
const windowsForbidden = /[:*?"<>|]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const controlCharacters = /[\u0000-\u001f\u007f-\u009f]/;
const maxSegmentLength = 255;
const maxPathLength = 4096;

/** Which rule refused a name: the `details.unsafeName` of the error {@link safeRelativePath} throws. */
export type UnsafeNameRule =
  | 'empty'
  | 'too-long'
  | 'control-character'
  | 'backslash'
  | 'absolute'
  | 'windows-character'
  | 'empty-segment'
  | 'parent-segment'
  | 'dot-segment'
  | 'trailing-dot-or-space'
  | 'windows-reserved';

/** Why a name is not a safe relative path: the rule, and a phrase for a message ("it …"). */
export interface UnsafeName {
  readonly rule: UnsafeNameRule;
  readonly reason: string;
}

/**
 * Why `name` is not a safe relative path, or undefined when it is. Used by {@link safeRelativePath}
 * and by the Metalink parser, which words the refusal for its own document.
 */
export function unsafeName(name: string): UnsafeName | undefined {
  const refuse = (rule: UnsafeNameRule, reason: string) => ({ rule, reason });
  if (name === '') return refuse('empty', 'is empty');
  if (name.length > maxPathLength) return refuse('too-long', `is longer than ${maxPathLength} characters`);
  if (controlCharacters.test(name)) return refuse('control-character', 'contains a control character');
  // On Windows a backslash is a separator, so "a\\..\\..\\b" would climb out there.
  if (name.includes('\\')) return refuse('backslash', 'contains a backslash');
  if (name.startsWith('/')) return refuse('absolute', 'is absolute');
  if (windowsForbidden.test(name)) return refuse('windows-character', 'contains one of : * ? " < > |');
  for (const segment of name.split('/')) {
    if (segment === '') return refuse('empty-segment', 'has an empty path segment');
    if (segment === '..') {
      return refuse('parent-segment', 'has a ".." segment that would leave the target directory');
    }
    // "." and hidden names (".ssh/authorized_keys", ".bashrc") are refused like core's safeFileName.
    if (segment.startsWith('.')) {
      return refuse('dot-segment', `has a segment that starts with a dot (${quote(segment)})`);
    }
    // Windows drops trailing dots and spaces, so "a." and "a" would be one file there.
    if (/[. ]$/.test(segment)) {
      return refuse('trailing-dot-or-space', 'has a segment that ends with a dot or a space');
    }
    if (segment.length > maxSegmentLength) {
      return refuse('too-long', `has a segment longer than ${maxSegmentLength} characters`);
    }
    if (reservedNames.test(segment)) {
      return refuse('windows-reserved', `uses a name Windows reserves (${quote(segment)})`);
    }
  }
  return undefined;
}

/**
 * Returns `name` when it is a safe relative path — one or more `/`-separated segments that stay
 * inside the directory they are joined to on any operating system — and throws BAD_INPUT otherwise,
 * with the rule in `details.unsafeName`. Nothing is rewritten: a name is used as it is or refused
 * (absolute, `..`, `\`, `:`, control characters, empty segments, hidden or Windows-reserved names),
 * so two names never collapse into one.
 */
export function safeRelativePath(name: string): string {
  const unsafe = unsafeName(name);
  if (unsafe !== undefined) {
    throw new RegetError(ErrorCode.BAD_INPUT, `Unsafe file name ${quote(name)}: it ${unsafe.reason}.`, {
      details: { unsafeName: unsafe.rule },
    });
  }
  return name;
}

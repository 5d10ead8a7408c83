import { type Checksum, type ChecksumAlgorithm, ErrorCode, RegetError } from '@reget/core';
import { readChecksumLines } from './checksum-lines.js';
import { algorithmNamed, algorithmOfHexLength, badHexReason, byStrength } from './hashes.js';
import { defaultMaxBytes, quote, refuseOversized } from './untrusted.js';

/** One line of a checksum list: a {@link Checksum} for a name. */
export interface ChecksumListEntry extends Checksum {
  /** The name as the list writes it, GNU escapes undone (it may hold directories: `amd64/x.iso`). */
  readonly name: string;
  /** The line it came from, counted from 1. */
  readonly line: number;
}

/** A parsed checksum list. */
export interface ChecksumList {
  /** How messages name the list (the `source` option). */
  readonly source: string;
  readonly entries: readonly ChecksumListEntry[];
}

/** Options for {@link parseChecksumList}. */
export interface ParseChecksumListOptions {
  /**
   * The algorithm every line must use, when the caller knows it (a file named `SHA256SUMS`); a line
   * of any other is an error. Default: each line's own — its BSD tag, or the length of its hex.
   */
  readonly algorithm?: ChecksumAlgorithm;
  /** How messages name the list, such as `SHA256SUMS`. Default `the checksum list`. */
  readonly source?: string;
  /** Larger lists are refused before parsing. Default 16 MiB. */
  readonly maxBytes?: number;
}

/**
 * Which check refused a checksum list or a look-up in it: the `details.checksumList` of the error.
 * A `bad-line` error also has the line number in `details.line`.
 */
export type ChecksumListProblem = 'too-large' | 'bad-option' | 'bad-line' | 'missing' | 'ambiguous';

function refusal(problem: ChecksumListProblem, message: string, line?: number): RegetError {
  return new RegetError(ErrorCode.BAD_INPUT, message, {
    details: line === undefined ? { checksumList: problem } : { checksumList: problem, line },
  });
}

const expected = 'expected "<hex>  <name>", "<hex> *<name>" or "SHA256 (<name>) = <hex>"';

/**
 * Parses a checksum list as `sha256sum`, `md5sum`, `shasum` and BSD's `sha256` and `md5` write
 * them: GNU `<hex>  <name>` and `<hex> *<name>` (binary), GNU's escaped names (a line that starts
 * with `\` has `\\`, `\n` and `\r` in its name), BSD/`--tag` `SHA256 (<name>) = <hex>`. Blank
 * lines and `#` comments are skipped, and so is the PGP armour of a clear-signed list (whose
 * signature is NOT checked: verify it with gpg first). Mixed algorithms are fine.
 *
 * The first malformed line throws BAD_INPUT naming its number ("line 3 of SHA256SUMS: …", and
 * `details.line`), rather than being passed over: a list with a line reget cannot read may be an
 * error page or the wrong file.
 */
export function parseChecksumList(text: string, options: ParseChecksumListOptions = {}): ChecksumList {
  const source = options.source ?? 'the checksum list';
  refuseOversized(text, options.maxBytes ?? defaultMaxBytes, source, { checksumList: 'too-large' });
  const required = options.algorithm;
  if (required !== undefined && algorithmNamed(required) !== required) {
    throw refusal('bad-option', `algorithm ${quote(String(required))} is not sha512, sha256, sha1 or md5.`);
  }
  const entries: ChecksumListEntry[] = [];
  for (const { number, content } of readChecksumLines(text)) {
    const fail = (reason: string) => refusal('bad-line', `line ${number} of ${source}: ${reason}.`, number);
    const escaped = content.startsWith('\\');
    const body = escaped ? content.slice(1) : content;
    let tag: string | undefined;
    let hex: string;
    let rawName: string;
    // GNU first: no algorithm tag is all hex digits, so a line that reads as GNU is GNU.
    const gnu = /^([0-9A-Fa-f]+) (.*)$/.exec(body);
    const bsd = gnu ? null : /^([A-Za-z][A-Za-z0-9-]*) ?\((.*)\) ?= ?([0-9A-Za-z]+)[ \t]*$/.exec(body);
    if (gnu) {
      [, hex = '', rawName = ''] = gnu;
      // One space then " " (text) or "*" (binary), as GNU writes; GNU also reads a single space.
      if (rawName.startsWith(' ') || rawName.startsWith('*')) rawName = rawName.slice(1);
    } else if (bsd) {
      // The greedy (.*) runs the name to the last ") = ", so a name may itself hold parentheses.
      [, tag = '', rawName = '', hex = ''] = bsd;
    } else {
      throw fail(`not a checksum line (${expected}): ${quote(body)}`);
    }
    const name = escaped ? unescapeName(rawName, fail) : rawName;
    if (name === '') throw fail('the name is empty');
    let algorithm: ChecksumAlgorithm | undefined;
    if (tag !== undefined) {
      algorithm = algorithmNamed(tag);
      if (algorithm === undefined)
        throw fail(`reget does not verify ${quote(tag)}; only SHA512, SHA256, SHA1 and MD5`);
    } else {
      algorithm = required ?? algorithmOfHexLength(hex.length);
      if (algorithm === undefined) {
        throw fail(
          `a checksum has 32 (md5), 40 (sha1), 64 (sha256) or 128 (sha512) hex digits, not ${hex.length}`,
        );
      }
    }
    if (required !== undefined && algorithm !== required) {
      throw fail(`a ${algorithm} line in a list of ${required} checksums`);
    }
    const bad = badHexReason(algorithm, hex, 'checksum');
    if (bad !== undefined) throw fail(bad);
    entries.push({ name, algorithm, hex: hex.toLowerCase(), line: number });
  }
  return { source, entries };
}

/**
 * The entry of `list` for `fileName`: the line with exactly that name (a leading `./` ignored on
 * either side), else the line whose name's last `/` segment equals `fileName`'s. When several lines
 * match, the strongest algorithm wins. Throws BAD_INPUT when no line matches (`details.checksumList`
 * is `missing`) or when matching lines of that algorithm disagree (`ambiguous`) — never a silent pass.
 */
export function checksumFor(list: ChecksumList, fileName: string): ChecksumListEntry {
  const wanted = withoutDotSlash(fileName);
  const missing = () => refusal('missing', `${list.source} has no line for ${quote(fileName)}.`);
  if (wanted === '') throw missing();
  let matches = list.entries.filter((entry) => withoutDotSlash(entry.name) === wanted);
  if (matches.length === 0) {
    const last = lastSegment(wanted);
    matches = list.entries.filter((entry) => lastSegment(entry.name) === last);
  }
  const best = matches.sort(byStrength)[0];
  if (best === undefined) throw missing();
  const conflicting = matches.find((entry) => entry.algorithm === best.algorithm && entry.hex !== best.hex);
  if (conflicting !== undefined) {
    throw refusal(
      'ambiguous',
      `${list.source} has different ${best.algorithm} checksums for ${quote(fileName)} (lines ${best.line} and ${conflicting.line}); name the file as the list does.`,
    );
  }
  return best;
}

function unescapeName(name: string, fail: (reason: string) => RegetError): string {
  let result = '';
  for (let index = 0; index < name.length; index += 1) {
    const character = name[index]!;
    if (character !== '\\') {
      result += character;
      continue;
    }
    const next = name[index + 1];
    index += 1;
    if (next === '\\') result += '\\';
    else if (next === 'n') result += '\n';
    else if (next === 'r') result += '\r';
    else throw fail(`the escaped name has ${quote(`\\${next ?? ''}`)}; GNU escapes only \\\\, \\n and \\r`);
  }
  return result;
}

function withoutDotSlash(name: string): string {
  return name.startsWith('./') ? name.slice(2) : name;
}

function lastSegment(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

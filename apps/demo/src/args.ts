import { ErrorCode, RegetError, redactUrl } from '@reget/core';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { escapeControl } from './messages.js';
import {
  collectHeader,
  parseChecksumOption,
  parseHostKey,
  parseInteger,
  parseRate,
  parseSeconds,
} from './option-values.js';

/** The download command's options as commander hands them over (camelCase keys). */
export interface DownloadFlags {
  readonly output?: string;
  readonly dir?: string;
  readonly inputFile?: string;
  readonly jobs: number;
  readonly connections?: number;
  readonly maxPerHost?: number;
  readonly retries?: number;
  /** Connect and idle timeout, in milliseconds. */
  readonly timeout?: number;
  readonly checksum?: string;
  readonly checksumFile?: string;
  /** `--mirror`, repeatable: other places serving the one URL's file. */
  readonly mirror?: readonly string[];
  /** `--metalink <file|url>`. */
  readonly metalink?: string;
  readonly followMirrors?: boolean;
  /** true: `--restart`; false: `--no-restart`; undefined: neither. */
  readonly restart?: boolean;
  readonly overwrite?: boolean;
  readonly continue?: boolean;
  /** Bytes per second. */
  readonly limitRate?: number;
  /** false: `--no-sync` (bytes are not flushed to the device). */
  readonly sync?: boolean;
  readonly header?: Readonly<Record<string, string>>;
  readonly contentDisposition?: boolean;
  readonly insecure?: boolean;
  readonly ca?: string;
  readonly identity?: string;
  readonly knownHosts?: string;
  readonly hostKey?: string;
  readonly acceptNewHostKey?: boolean;
  readonly passwordPrompt?: boolean;
  readonly json?: boolean;
  readonly quiet?: boolean;
  readonly debug?: boolean;
}

/** Default number of files downloaded at once: one, like curl and wget. */
export const defaultJobs = 1;

/**
 * Declares every option of the download command on `command`. Values are parsed here, so a bad
 * one stops the run before anything starts, with commander's one-line message naming the option.
 */
export function addDownloadOptions(command: Command): Command {
  return command
    .option('-o, --output <file>', 'save the (single) URL as <file>')
    .option('-d, --dir <dir>', 'save files into <dir>, which must exist (default: the current directory)')
    .option('-i, --input-file <file>', 'read URLs from <file>, one per line ("-" for standard input)')
    .option('-j, --jobs <n>', 'download <n> files at once', valueParser(jobs), defaultJobs)
    .option(
      '-c, --connections <n>',
      'parallel connections per file, on servers that serve ranges (default: 1)',
      valueParser(parseConnections),
    )
    .option(
      '--max-per-host <n>',
      'the most connections one download opens to its server (default: 16)',
      valueParser(maxPerHost),
    )
    .option(
      '--retries <n>',
      'attempts in a row without progress before giving up (default: 5)',
      valueParser(retries),
    )
    .option(
      '--timeout <seconds>',
      'give up connecting, or waiting for a byte, after <seconds> (default: 30 s to connect, 60 s idle)',
      valueParser(parseSeconds),
    )
    .option(
      '--checksum <algo:hex>',
      'verify the file: sha256, sha512, sha1 or md5 (one URL only); a mismatch is kept as <file>.corrupt',
      valueParser(parseChecksumOption),
    )
    .addOption(
      new Option(
        '--checksum-file <file>',
        'verify each file against its line in <file> (SHA256SUMS style, GNU or BSD; sha512, sha256, sha1, md5); a file with no line is an error before anything is downloaded',
      ).conflicts('checksum'),
    )
    .option(
      '--mirror <url>',
      'another place serving the same file (repeatable, any protocol); segments come from all of them',
      collectMirror,
    )
    .addOption(
      new Option(
        '--metalink <file|url>',
        'download every file a Metalink (.meta4, .metalink) lists into -d, from all its mirrors, verified by its hashes',
      ).conflicts(['checksum', 'checksumFile', 'mirror']),
    )
    .option(
      '--follow-mirrors',
      'also use the mirrors an HTTP server announces (Link: rel=duplicate), which sends requests to those hosts',
    )
    .addOption(new Option('--restart', 'ignore any partial download and start from zero'))
    .addOption(new Option('--no-restart', 'fail (exit 8) instead of starting again when the remote changed'))
    .addOption(
      new Option('--overwrite', 'replace an existing file (once the new copy is verified)').conflicts(
        'continue',
      ),
    )
    .addOption(new Option('--continue', 'treat an existing file as a partial download and resume it'))
    .option(
      '--limit-rate <rate>',
      'cap each download at <rate> bytes/s (K, M, G suffixes; 0: no limit)',
      valueParser(parseRate),
    )
    .addOption(
      new Option(
        '--no-sync',
        'do not flush bytes to the device (faster; kill -9 still resumes, but after a power cut a partial starts over and a file finished just before may hold zeros)',
      ),
    )
    .option(
      '-H, --header <line>',
      'add an HTTP request header "Name: value" (repeatable)',
      valueParser(collectHeader),
    )
    .option('--content-disposition', 'name the file as the server suggests (made safe), not from the URL')
    .option('--insecure', 'do not verify TLS certificates (HTTPS, FTPS); warns when a URL uses TLS')
    .option(
      '--ca <file>',
      'verify TLS against the CA certificates in PEM <file> instead of the system ones (HTTPS, FTPS)',
    )
    .option('--identity <keyfile>', 'SSH private key for SFTP (passphrase from REGET_KEY_PASSPHRASE)')
    .option('--known-hosts <file>', 'SSH known_hosts file for SFTP (default: ~/.ssh/known_hosts)')
    .option(
      '--host-key <fingerprint>',
      'accept only this SFTP host key, "SHA256:…"',
      valueParser(parseHostKey),
    )
    .option(
      '--accept-new-host-key',
      'trust an SFTP host known_hosts does not list, and add it, creating ~/.ssh if needed (a changed key still fails)',
    )
    .option('--password-prompt', 'ask for the password (not echoed) instead of reading REGET_PASSWORD')
    .option('--json', 'print one JSON object per event on standard output')
    .option('-q, --quiet', 'print nothing but errors')
    .option('--debug', 'show stack traces with errors');
}

function collectMirror(text: string, previous: readonly string[] | undefined): readonly string[] {
  return [...(previous ?? []), text];
}

function jobs(text: string): number {
  return parseInteger(text, 1, 64);
}

/** Parses `-c, --connections`; exported for tests. */
export function parseConnections(text: string): number {
  // wget and aria2 users type `-c` to resume: a URL after it gets a pointer, not just "not a number".
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text.trim()) || text.startsWith('-')) {
    throw new RegetError(
      ErrorCode.BAD_INPUT,
      `-c is --connections here and takes a number, not "${escapeControl(redactUrl(text.trim()))}"; reget resumes by itself when run again (--continue resumes a file at its final name).`,
    );
  }
  return parseInteger(text, 1, 65_535);
}

function maxPerHost(text: string): number {
  return parseInteger(text, 1, 65_535);
}

function retries(text: string): number {
  return parseInteger(text, 0, 1000);
}

/** Adapts a parser that throws RegetError to commander, which then names the option in its message. */
export function valueParser<T, P>(parse: (text: string, previous: P) => T): (text: string, previous: P) => T {
  return (text, previous) => {
    try {
      return parse(text, previous);
    } catch (error) {
      if (error instanceof RegetError) throw new InvalidArgumentError(error.message);
      throw error;
    }
  };
}

import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, dirname, relative } from 'node:path';
import { type Adapter, ErrorCode, escapeControl, probe, RegetError, redactUrl } from '@reget/core';
import type { HostKeyAdded } from '@reget/sftp';
import { type AdapterSettings, loadAdapters, schemeOf } from './adapters.js';
import type { DownloadFlags } from './args.js';
import type { Io } from './io.js';
import type { Job } from './job.js';
import { planMetalink } from './metalink-plan.js';
import {
  assertDistinctDestinations,
  assertOutputDirectory,
  assertOutputIsNotDirectory,
  explicitDestination,
  outputFileName,
  placeInDirectory,
} from './output-name.js';
import { passphraseVariable, passwordVariable, promptPassword, withPassword } from './password.js';
import { isSensitiveHeader, type SecretScrubber } from './secrets.js';
import { type InputLine, parseInputSources, parseUserUrl, readInputLines } from './url-input.js';

/**
 * Lines of an input file checked before anything starts: a list this long or shorter is checked
 * whole first (a bad line stops the run before any byte moves). Past them, lines are planned as
 * they are read, so a list of any length starts at once and is never held in memory; a bad line
 * there fails alone.
 */
export const linesCheckedFirst = 1_000;

/** Everything checked and ready: the files to fetch and the adapters to fetch them with. */
export interface DownloadPlan {
  /** The files checked before anything starts. */
  readonly jobs: readonly Job[];
  /**
   * The files of the input file's lines past {@link linesCheckedFirst}, planned one by one as they
   * are read (a line that cannot be planned comes as its BAD_INPUT error); none when the list was
   * shorter.
   */
  readonly laterJobs: AsyncIterable<Job | RegetError>;
  /** Grows when a later line needs another protocol's adapter. */
  readonly adapters: readonly Adapter[];
}

/** What planning needs besides the flags. */
export interface PlanContext {
  readonly io: Io;
  readonly scrubber: SecretScrubber;
  readonly signal: AbortSignal;
  readonly userAgent: string;
  /** Told when `--accept-new-host-key` recorded a new SFTP host key. */
  readonly onHostKeyAdded?: ((added: HostKeyAdded) => void) | undefined;
}

/**
 * Turns the command line into a plan, failing before any byte moves on bad input (exit 2) or a
 * missing output directory (exit 3): URLs parsed and their schemes checked, option combinations
 * checked, secrets registered for scrubbing, the password asked for, the adapters the URLs need
 * loaded, and each destination chosen and checked.
 */
export async function planDownloads(
  urlArgs: readonly string[],
  flags: DownloadFlags,
  context: PlanContext,
): Promise<DownloadPlan> {
  const { io, scrubber } = context;
  const input = flags.inputFile === undefined ? undefined : readInputLines(flags.inputFile, io.stdin);
  const inputUrls: InputLine[] = [];
  let isListRead = input === undefined;
  while (input && inputUrls.length < linesCheckedFirst) {
    const next = await input.next();
    if (next.done) {
      isListRead = true;
      break;
    }
    inputUrls.push(next.value);
  }
  checkCombinations(urlArgs.length + inputUrls.length + (isListRead ? 0 : 1), flags, isListRead);
  const mirrorUrls = (flags.mirror ?? []).map((text) => parseUserUrl(text));
  const inputSources = inputUrls.map(parseInputSources);
  const parsed = [...urlArgs.map((text) => parseUserUrl(text)), ...inputSources.map((line) => line[0]!)];
  // Mirrors per file: --mirror for the one URL, the tab-separated rest of each -i line.
  const parsedMirrors = [...urlArgs.map(() => mirrorUrls), ...inputSources.map((line) => line.slice(1))];
  for (const url of [...parsed, ...parsedMirrors.flat()]) scrubber.addUrl(url);
  for (const [name, value] of Object.entries(flags.header ?? {}))
    if (isSensitiveHeader(name)) scrubber.add(value);
  const secretHeader = Object.keys(flags.header ?? {}).find(isSensitiveHeader);
  if ((flags.followMirrors || flags.metalink !== undefined) && secretHeader !== undefined) {
    // Hosts a server or a document chooses: the header would go to them too.
    const option = flags.followMirrors ? '--follow-mirrors' : '--metalink';
    throw badInput(
      `${option} would send the ${secretHeader} header to every host ${option === '--metalink' ? 'the Metalink lists' : 'the server announces'}; leave one of them out.`,
    );
  }
  if (flags.dir !== undefined) await assertOutputDirectory(flags.dir);
  if (flags.output !== undefined) {
    await assertOutputIsNotDirectory(flags.output, flags.dir);
    await assertOutputDirectory(dirname(explicitDestination(flags.output, flags.dir)));
  }
  // Read and checked before the prompt, so a bad --ca file is reported before anything is asked.
  const ca = flags.ca === undefined ? undefined : await readCertificates(flags.ca);

  const password = await readPassword(flags, io);
  const passphrase = io.env[passphraseVariable] || undefined;
  scrubber.add(password);
  scrubber.add(passphrase);
  const urls = parsed.map((url) => withPassword(url, password));

  const settings: AdapterSettings = {
    headers: flags.header ?? {},
    isInsecure: flags.insecure === true,
    ca,
    userAgent: context.userAgent,
    identity: flags.identity === undefined ? undefined : await checkReadable('--identity', flags.identity),
    passphrase,
    password,
    knownHosts:
      flags.knownHosts === undefined ? undefined : await checkReadable('--known-hosts', flags.knownHosts),
    hostKey: flags.hostKey,
    acceptsNewHostKey: flags.acceptNewHostKey === true,
    onHostKeyAdded: context.onHostKeyAdded,
  };
  if (flags.metalink !== undefined) return planMetalink(flags.metalink, flags, settings, context);
  const checksumOf =
    flags.checksumFile === undefined ? undefined : await readChecksumFile(flags.checksumFile);
  const passwordSource = flags.passwordPrompt ? 'prompt' : password !== undefined ? 'environment' : undefined;
  const mirrorsOf = parsedMirrors.map((list) => list.map((url) => withPassword(url, password)));
  const adapters = await loadAdapters([...urls, ...mirrorsOf.flat()], settings);
  const planJob = async (index: number, url: URL, typed: URL, mirrors: readonly URL[]): Promise<Job> => {
    const destination = await chooseDestination(url, flags, adapters, context);
    return {
      index,
      url,
      displayUrl: redactUrl(url),
      destination,
      label: labelOf(destination),
      passwordSource: passwordSourceOf(typed, passwordSource),
      isRestartRefused: flags.restart === false,
      checksum: checksumOf ? checksumOf(url, destination) : flags.checksum,
      mirrors: mirrors.length > 0 ? mirrors : undefined,
    };
  };
  const jobs: Job[] = [];
  for (const [index, url] of urls.entries())
    jobs.push(await planJob(index, url, parsed[index] ?? url, mirrorsOf[index] ?? []));
  assertDistinctDestinations(jobs);
  // Once per directory: a list of a thousand files into one directory checks it once.
  const checkedDirectories = new Set(jobs.map((job) => dirname(job.destination)));
  for (const directory of checkedDirectories) await assertOutputDirectory(directory);

  /** Plans the lines past the first ones, each checked as the first were (a failure is its error). */
  async function* planLater(lines: AsyncIterator<InputLine>): AsyncGenerator<Job | RegetError> {
    // Only the names, to tell a later line that would overwrite another's file.
    const destinations = new Set(jobs.map((job) => job.destination));
    let index = jobs.length;
    for (let next = await lines.next(); !next.done; next = await lines.next(), index++) {
      try {
        const [typed, ...typedMirrors] = parseInputSources(next.value);
        if (!typed) continue;
        for (const source of [typed, ...typedMirrors]) scrubber.addUrl(source);
        const url = withPassword(typed, password);
        const mirrors = typedMirrors.map((mirror) => withPassword(mirror, password));
        // One adapter per protocol for the whole run, loaded when its first URL comes.
        for (const source of [url, ...mirrors]) {
          if (!adapters.some((adapter) => adapter.schemes.includes(schemeOf(source))))
            adapters.push(...(await loadAdapters([source], settings)));
        }
        const job = await planJob(index, url, typed, mirrors);
        if (destinations.has(job.destination)) {
          throw badInput(
            `${escapeControl(next.value.where)}: ${job.displayUrl} would be saved as ${job.destination}, as an earlier URL of the list; download them in separate runs, each into its own directory (-d).`,
          );
        }
        destinations.add(job.destination);
        if (!checkedDirectories.has(dirname(job.destination))) {
          await assertOutputDirectory(dirname(job.destination));
          checkedDirectories.add(dirname(job.destination));
        }
        yield job;
      } catch (error) {
        if (!(error instanceof RegetError)) throw error;
        yield error;
      }
    }
  }
  return { jobs, adapters, laterJobs: isListRead || !input ? noJobs() : planLater(input) };
}

async function* noJobs(): AsyncGenerator<Job | RegetError> {}

/**
 * Where the password used for `url` comes from: its own, or the environment's or prompt's when the
 * adapter uses that one (URLs naming a user; SFTP URLs, which log in as the local user otherwise).
 */
function passwordSourceOf(url: URL, given: Job['passwordSource']): Job['passwordSource'] {
  if (url.password !== '') return 'url';
  return url.username !== '' || url.protocol === 'sftp:' ? given : undefined;
}

/** `isCountExact` is false when the input file was not read to its end: there are at least that many. */
function checkCombinations(urlCount: number, flags: DownloadFlags, isCountExact = true): void {
  const counted = isCountExact ? `${urlCount}` : `more than ${urlCount - 1}`;
  if (flags.metalink !== undefined) {
    if (urlCount > 0) throw badInput('--metalink names the files to download; give no other URL with it.');
    return;
  }
  if (flags.mirror !== undefined && urlCount !== 1) {
    throw badInput(
      `--mirror names other places for one file but ${counted} URLs were given; for many files, put each file's mirrors on its line of -i, separated by tabs.`,
    );
  }
  if (urlCount === 0 && flags.inputFile !== undefined) {
    const source = flags.inputFile === '-' ? 'Standard input' : `The input file ${flags.inputFile}`;
    throw badInput(`${source} lists no URL (blank lines and # comments are skipped).`);
  }
  if (urlCount === 0) throw badInput('No URL given; see reget --help.');
  if (flags.output !== undefined && urlCount > 1) {
    throw badInput(`-o/--output names one file but ${counted} URLs were given; use -d/--dir instead.`);
  }
  if (flags.checksum !== undefined && urlCount > 1) {
    throw badInput(`--checksum applies to one file but ${counted} URLs were given.`);
  }
  if (flags.passwordPrompt && flags.inputFile === '-') {
    throw badInput('--password-prompt and -i - both read standard input; give the URLs in a file.');
  }
}

async function readPassword(flags: DownloadFlags, io: Io): Promise<string | undefined> {
  if (flags.passwordPrompt) return promptPassword('Password: ', { input: io.stdin, output: io.stderr });
  return io.env[passwordVariable] || undefined;
}

async function chooseDestination(
  url: URL,
  flags: DownloadFlags,
  adapters: readonly Adapter[],
  context: PlanContext,
): Promise<string> {
  if (flags.output !== undefined) return explicitDestination(flags.output, flags.dir);
  const suggestion = flags.contentDisposition
    ? await suggestedName(url, adapters, flags.timeout, context)
    : undefined;
  return placeInDirectory(flags.dir ?? '.', outputFileName(url, suggestion));
}

/**
 * The server's suggested name for `--content-disposition`. A probe that fails leaves the URL's name:
 * the download itself then meets the same failure and reports it for this file.
 */
async function suggestedName(
  url: URL,
  adapters: readonly Adapter[],
  connectTimeoutMs: number | undefined,
  context: PlanContext,
): Promise<string | undefined> {
  try {
    const stat = await probe({ url, adapters, signal: context.signal, connectTimeoutMs });
    return stat.suggestedFileName;
  } catch (error) {
    if (context.signal.aborted) throw error;
    return undefined;
  }
}

/** How a destination is named in messages: relative to the working directory when inside it. */
export function labelOf(destination: string): string {
  const fromHere = relative(process.cwd(), destination);
  return fromHere === '' || fromHere.startsWith('..') ? destination : fromHere;
}

/** Reads a file an option names; BAD_INPUT naming the option when it cannot be read. */
export async function readOptionFile(option: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new RegetError(ErrorCode.BAD_INPUT, `Cannot read the ${option} file ${path}.`, { cause });
  }
}

/**
 * The `--checksum-file` list, read and parsed before anything starts, and a look-up of each file's
 * line: by the name the URL gives the file, else by the name it is saved as. A file without a line
 * is an error (never downloaded unverified while the user asked for verification).
 */
async function readChecksumFile(path: string): Promise<(url: URL, destination: string) => string> {
  const text = (await readOptionFile('--checksum-file', path)).toString('utf8');
  // Loaded only when asked for: the XML parser behind the package stays out of every other run.
  const { checksumFor, parseChecksumList, toChecksumOption } = await import('@reget/metalink');
  const list = parseChecksumList(text, { source: path });
  return (url, destination) => {
    const remoteName = decodeURIComponent(url.pathname.split('/').at(-1) ?? '');
    const savedName = basename(destination);
    const names = [remoteName, savedName].filter((name) => name !== '');
    for (const name of names.slice(0, -1)) {
      try {
        return toChecksumOption(checksumFor(list, name));
      } catch (error) {
        if (!(error instanceof RegetError) || error.details.checksumList !== 'missing') throw error;
      }
    }
    return toChecksumOption(checksumFor(list, names.at(-1) ?? savedName));
  };
}

/**
 * The `--ca` file, checked to hold at least one PEM certificate that parses: a key, a DER file or
 * an empty file would otherwise only show up as a certificate failure after connecting.
 */
async function readCertificates(path: string): Promise<Buffer> {
  const content = await readOptionFile('--ca', path);
  const blocks =
    content.toString('latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) {
    throw badInput(`No certificate in ${path}: --ca needs PEM certificates ("-----BEGIN CERTIFICATE-----").`);
  }
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (cause) {
      throw new RegetError(ErrorCode.BAD_INPUT, `${path} holds a certificate that cannot be read (--ca).`, {
        cause,
      });
    }
  }
  return content;
}

async function checkReadable(option: string, path: string): Promise<string> {
  await readOptionFile(option, path);
  return path;
}

function badInput(message: string): RegetError {
  return new RegetError(ErrorCode.BAD_INPUT, message);
}

import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { download, ErrorCode, RegetError, redactUrl } from '@reget/core';
import { type AdapterSettings, loadAdapters } from './adapters.js';
import type { DownloadFlags } from './args.js';
import type { DownloadPlan, PlanContext } from './download-plan.js';
import { labelOf, readOptionFile } from './download-plan.js';
import type { Job } from './job.js';
import { assertDistinctDestinations, explicitDestination, placeInDirectory } from './output-name.js';
import { withPassword } from './password.js';
import { parseUserUrl } from './url-input.js';

/** Mirrors used per file at most (the best ones by the document's priority), the URL included. */
const maxSourcesPerFile = 8;

/**
 * The plan for `--metalink <file|url>`: every file the document lists, into `-d` (its relative
 * directories created inside it), from its URLs best first, verified by its strongest hash and its
 * piece hashes. A file without a URL reget can use stops the run before anything is downloaded.
 */
export async function planMetalink(
  source: string,
  flags: DownloadFlags,
  settings: AdapterSettings,
  context: PlanContext,
): Promise<DownloadPlan> {
  const { parseMetalink, strongestChecksum, toChecksumOption } = await import('@reget/metalink');
  const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(source);
  const bytes = isUrl
    ? await fetchDocument(source, settings, context)
    : await readOptionFile('--metalink', source);
  const document = parseMetalink(bytes.toString('utf8'), {
    source: isUrl ? redactUrl(source) : source,
    ...(isUrl ? { baseUrl: withoutCredentials(source) } : {}),
  });
  if (flags.output !== undefined && document.files.length > 1) {
    throw new RegetError(
      ErrorCode.BAD_INPUT,
      `-o/--output names one file but the Metalink lists ${document.files.length}; use -d/--dir instead.`,
    );
  }
  const jobs: Job[] = [];
  const allUrls: URL[] = [];
  for (const [index, file] of document.files.entries()) {
    // The document names the hosts: REGET_PASSWORD or the prompt's password is never sent to them.
    const urls = file.urls.slice(0, maxSourcesPerFile).map((entry) => {
      const url = parseUserUrl(entry.url);
      context.scrubber.addUrl(url);
      return url;
    });
    const [url, ...mirrors] = urls;
    if (!url) {
      throw new RegetError(
        ErrorCode.BAD_INPUT,
        `The Metalink lists no http, https, ftp, ftps or sftp URL for ${file.name}.`,
      );
    }
    allUrls.push(...urls);
    const destination =
      flags.output !== undefined
        ? explicitDestination(flags.output, flags.dir)
        : placeInDirectory(flags.dir ?? '.', file.name);
    const checksum = strongestChecksum(file.hashes);
    jobs.push({
      index,
      url,
      displayUrl: redactUrl(url),
      destination,
      label: labelOf(destination),
      isRestartRefused: flags.restart === false,
      checksum: checksum ? toChecksumOption(checksum) : undefined,
      mirrors: mirrors.length > 0 ? mirrors : undefined,
      pieces: file.pieces,
    });
  }
  assertDistinctDestinations(jobs);
  const adapters = await loadAdapters(allUrls, settings);
  // Directories the document names (`iso/debian.iso`) are made inside -d, as aria2 does.
  for (const job of jobs) await mkdir(dirname(job.destination), { recursive: true });
  return { jobs, adapters, laterJobs: noLaterJobs() };
}

/** A Metalink is read whole: no file is planned later. */
async function* noLaterJobs(): AsyncGenerator<Job> {}

/** A Metalink given by URL: fetched (resumably, like any file) to a temporary directory, then read. */
async function fetchDocument(
  source: string,
  settings: AdapterSettings,
  context: PlanContext,
): Promise<Buffer> {
  const url = withPassword(parseUserUrl(source), settings.password);
  context.scrubber.addUrl(url);
  const adapters = await loadAdapters([url], settings);
  const directory = await mkdtemp(join(tmpdir(), 'reget-metalink-'));
  try {
    const destination = join(directory, 'document.meta4');
    await download({ url, destination, adapters, signal: context.signal, retries: 2 });
    return await readFile(destination);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** The URL relative names resolve against, without the user's credentials. */
function withoutCredentials(source: string): string {
  const url = new URL(source);
  url.username = '';
  url.password = '';
  return url.href;
}

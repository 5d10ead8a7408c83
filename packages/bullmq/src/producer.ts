import { ErrorCode, parseChecksum, parseUrl, RegetError, redactUrl } from '@reget/core';
import type { JobsOptions, Queue } from 'bullmq';
import { destinationSegments } from './destination.js';
import { type DownloadJobData, jobIdFor } from './job.js';
import { refuseSecrets } from './secrets.js';

/** One file to download: the job's data. */
export type DownloadRequest = DownloadJobData;

/**
 * Job options every download gets unless the caller overrides them: many attempts, because each
 * one resumes where the last stopped; exponential backoff from 5 s; finished jobs kept (so a
 * destination that is done is not queued again) until removed, failed ones too; no stack trace.
 */
export const defaultDownloadJobOptions: JobsOptions = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 5_000 },
  removeOnComplete: false,
  removeOnFail: false,
  stackTraceLimit: 0,
};

/** Checks one request, as the producer and again the worker do: no secret, a safe destination. */
export function checkRequest(request: DownloadRequest): DownloadJobData {
  if (typeof request !== 'object' || request === null) {
    throw new RegetError(ErrorCode.BAD_INPUT, 'A download job needs a url and a destination.');
  }
  const url = parseUrl(request.url);
  refuseSecrets(url, redactUrl(url));
  destinationSegments(request.destination);
  if (request.checksum !== undefined) parseChecksum(request.checksum);
  const mirrors = (request.mirrors ?? []).map((text) => {
    const mirror = parseUrl(text);
    refuseSecrets(mirror, redactUrl(mirror));
    return mirror.href;
  });
  return {
    url: url.href,
    destination: request.destination,
    ...(request.checksum === undefined ? {} : { checksum: request.checksum }),
    ...(mirrors.length === 0 ? {} : { mirrors }),
  };
}

/**
 * Adds one job per file to `queue`, each with the job id of its destination ({@link jobIdFor}),
 * so a file already in the queue (waiting, active, delayed, completed or failed, until removed) is
 * not added again. Every request is checked before any is added: a URL with a password or a
 * secret query parameter, an absolute destination or one with `..` is refused with BAD_INPUT, and
 * nothing is queued. Two requests for the same destination are refused too. Returns the job ids,
 * in order.
 */
export async function enqueueDownloads(
  queue: Queue,
  requests: readonly DownloadRequest[],
  options: JobsOptions = {},
): Promise<string[]> {
  const jobs = requests.map(checkRequest);
  const seen = new Set<string>();
  for (const job of jobs) {
    if (seen.has(job.destination)) {
      throw new RegetError(
        ErrorCode.BAD_INPUT,
        `Two downloads go to the same destination ${job.destination}.`,
      );
    }
    seen.add(job.destination);
  }
  const added = await queue.addBulk(
    jobs.map((data) => ({
      name: 'download',
      data,
      opts: { ...defaultDownloadJobOptions, ...options, jobId: jobIdFor(data.destination) },
    })),
  );
  return added.map((job) => job.id as string);
}

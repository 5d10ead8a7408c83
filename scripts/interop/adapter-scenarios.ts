import { join } from 'node:path';
import {
  type Adapter,
  type DownloadEvent,
  type DownloadOptions,
  download,
  type RegetError,
} from '@reget/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServedFile, servedPath } from './environment.js';
import { publish, sha256File, sizeOf, temporaryDirectory } from './files.js';

/** The verification overlap core may re-fetch on a resume (DownloadOptions.overlapBytes default). */
export const overlapBytes = 65_536;

/** One adapter pointed at one real server. */
export interface InteropTarget {
  /** Short name, also used in file names so targets never share a served file. */
  readonly name: string;
  /** A fresh adapter configured to trust the server (CA, host key, identity…). */
  readonly adapter: () => Adapter;
  /** URL of a served file by name. */
  readonly url: (name: string) => string;
}

/** Download options every interop scenario shares: few, fast retries, events collected. */
export function interopOptions(
  adapter: Adapter,
  url: string,
  destination: string,
  events: DownloadEvent[] = [],
): DownloadOptions {
  return {
    url,
    destination,
    adapters: [adapter],
    retries: 2,
    retryDelayMs: 10,
    connectTimeoutMs: 15_000,
    idleTimeoutMs: 20_000,
    onEvent: (event) => events.push(event),
  };
}

/** The RegetError a download fails with; fails the test when the download succeeds. */
export async function failure(promise: Promise<unknown>): Promise<RegetError> {
  try {
    await promise;
  } catch (error) {
    return error as RegetError;
  }
  throw new Error('expected the download to fail, and it succeeded');
}

/**
 * Starts a download and aborts it once `fraction` of the file is on disk; returns the size of the
 * partial it leaves. Progress is reported on every write, so the cut lands close to `fraction`.
 */
export async function cutDownload(options: DownloadOptions, fraction: number): Promise<number> {
  const controller = new AbortController();
  const error = await failure(
    download({
      ...options,
      signal: controller.signal,
      progressIntervalMs: 0,
      onEvent: (event) => {
        options.onEvent?.(event);
        if (event.type === 'progress' && event.total && event.bytesOnDisk >= fraction * event.total) {
          controller.abort();
        }
      },
    }),
  );
  expect(error.code).toBe('ABORTED');
  const partial = (await sizeOf(`${options.destination}.part`)) ?? 0;
  expect(partial).toBeGreaterThan(0);
  return partial;
}

/**
 * The scenarios every adapter must pass against its real server (issue 7): fresh download, resume
 * after a cut, a file replaced between attempts, already complete, not found.
 */
export function runInteropScenarios(target: InteropTarget): void {
  describe(`${target.name} against the real server`, () => {
    let directory: { path: string; remove: () => Promise<void> };
    let sampleSha256: string;
    let replacementSha256: string;
    const sampleSize = 32 * 1024 * 1024;

    beforeAll(async () => {
      directory = await temporaryDirectory(target.name);
      sampleSha256 = await sha256File(servedPath(ServedFile.sample));
      replacementSha256 = await sha256File(servedPath(ServedFile.replacement));
    });
    afterAll(async () => {
      await directory?.remove();
    });

    const destinationFor = (name: string) => join(directory.path, name);

    it('downloads a fresh file, byte for byte', async () => {
      const name = `${target.name}-fresh.bin`;
      await publish(name, ServedFile.sample);
      const destination = destinationFor(name);
      const events: DownloadEvent[] = [];
      const result = await download(interopOptions(target.adapter(), target.url(name), destination, events));
      expect(await sha256File(destination)).toBe(sampleSha256);
      expect(result.size).toBe(sampleSize);
      expect(result.fetchedBytes).toBe(sampleSize);
      expect(result.isAlreadyComplete).toBe(false);
      expect(await sizeOf(`${destination}.part`)).toBeUndefined();
      expect(await sizeOf(`${destination}.reget`)).toBeUndefined();
      const progress = events.filter((event) => event.type === 'progress');
      for (const event of progress) expect(event.total).toBe(sampleSize);
    });

    it('resumes after a cut at ~40%, fetching only the missing bytes plus the overlap', async () => {
      const name = `${target.name}-resume.bin`;
      await publish(name, ServedFile.sample);
      const destination = destinationFor(name);
      const options = interopOptions(target.adapter(), target.url(name), destination);
      const partial = await cutDownload(options, 0.4);
      expect(partial).toBeLessThan(sampleSize);
      expect(await sizeOf(`${destination}.reget`)).toBeGreaterThan(0);

      const result = await download(interopOptions(target.adapter(), target.url(name), destination));
      expect(await sha256File(destination)).toBe(sampleSha256);
      expect(result.resumes).toBeGreaterThanOrEqual(1);
      expect(result.restarts).toBe(0);
      expect(result.fetchedBytes).toBeLessThanOrEqual(sampleSize - partial + overlapBytes);
    });

    it('detects a file replaced on the server between attempts and ends with the new version', async () => {
      const name = `${target.name}-replaced.bin`;
      await publish(name, ServedFile.sample, 1);
      const destination = destinationFor(name);
      await cutDownload(interopOptions(target.adapter(), target.url(name), destination), 0.4);
      await publish(name, ServedFile.replacement, 2);

      const events: DownloadEvent[] = [];
      const result = await download(interopOptions(target.adapter(), target.url(name), destination, events));
      const restarts = events.filter((event) => event.type === 'restart');
      expect(restarts.map((event) => event.reason)).toEqual(['remote changed']);
      expect(result.restarts).toBe(1);
      expect(await sha256File(destination)).toBe(replacementSha256);
    });

    it('reports a complete file as already complete, fetching at most the overlap', async () => {
      const name = `${target.name}-complete.bin`;
      await publish(name, ServedFile.sample);
      const destination = destinationFor(name);
      await download(interopOptions(target.adapter(), target.url(name), destination));

      const result = await download({
        ...interopOptions(target.adapter(), target.url(name), destination),
        ifExists: 'continue',
      });
      expect(result.isAlreadyComplete).toBe(true);
      expect(result.fetchedBytes).toBeLessThanOrEqual(overlapBytes);
      expect(await sha256File(destination)).toBe(sampleSha256);
    });

    it('classifies a missing file as NOT_FOUND and leaves nothing behind', async () => {
      const destination = destinationFor(`${target.name}-missing.bin`);
      const error = await failure(
        download(interopOptions(target.adapter(), target.url('no-such-file.bin'), destination)),
      );
      expect(error.code).toBe('NOT_FOUND');
      expect(await sizeOf(destination)).toBeUndefined();
      expect(await sizeOf(`${destination}.part`)).toBeUndefined();
    });
  });
}

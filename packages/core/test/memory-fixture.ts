import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createMemoryServer, failureOf, type MemoryServer, type MemoryValidatorMode } from '@reget/testkit';
import { expect } from 'vitest';
import { download } from '../src/download.js';
import { ErrorCode } from '../src/errors.js';
import type { DownloadEvent } from '../src/events.js';
import type { DownloadOptions } from '../src/options.js';

/** A memory server holding `content` at /file.bin, and download options aimed at `directory`. */
export async function memoryFixture(
  directory: string,
  content: Uint8Array,
  validator: MemoryValidatorMode = 'strong',
) {
  const server = createMemoryServer({ validator });
  await server.putFile('/file.bin', content);
  const destination = join(directory, 'file.bin');
  const events: DownloadEvent[] = [];
  const options = (extra: Partial<DownloadOptions> = {}): DownloadOptions => ({
    url: server.url('/file.bin'),
    destination,
    adapters: [server.adapter],
    retries: 0,
    retryDelayMs: 1,
    onEvent: (event) => events.push(event),
    ...extra,
  });
  const part = () => readFile(`${destination}.part`);
  const claimedEnd = async () => {
    const journal = JSON.parse(await readFile(`${destination}.reget`, 'utf8')) as { ranges: number[][] };
    return Math.max(0, ...journal.ranges.map((range) => range[1]!));
  };
  return { server, destination, events, options, part, claimedEnd };
}

/** Cuts a download at byte `at` (PARTIAL, partial kept), then clears the faults and counters. */
export async function interrupt(server: MemoryServer, options: DownloadOptions, at: number): Promise<void> {
  server.setFaults({ dropAfterBytes: at, dropTimes: 1 });
  expect((await failureOf(download(options))).code).toBe(ErrorCode.PARTIAL);
  server.setFaults({});
  server.resetCounters();
}

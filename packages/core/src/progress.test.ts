import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryServer, type MemoryValidatorMode, makeContent } from '@reget/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Adapter } from './contract.js';
import { download } from './download.js';
import { ErrorCode, type RegetError } from './errors.js';
import type { DownloadEvent } from './events.js';
import type { DownloadOptions } from './options.js';

/** Invariant 5, true progress: bytes on disk out of the true total; unknown is unknown. */
const size = 300_000;
const content = makeContent(size, 41);

type Progress = Extract<DownloadEvent, { type: 'progress' }>;
const progressOf = (events: DownloadEvent[]) =>
  events.filter((event): event is Progress => event.type === 'progress');

/** The memory adapter with every size hidden: stat and read answers say nothing about the total. */
function sizeless(adapter: Adapter): Adapter {
  return {
    ...adapter,
    async open(url, context) {
      const remote = await adapter.open(url, context);
      return {
        stat: async (signal) => ({ ...(await remote.stat(signal)), size: undefined }),
        read: async (request) => ({ ...(await remote.read(request)), total: undefined, end: undefined }),
        close: () => remote.close(),
      };
    },
  };
}

describe('true progress', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'reget-progress-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  async function setup(validator: MemoryValidatorMode, wrap: (adapter: Adapter) => Adapter = (a) => a) {
    const server = createMemoryServer({ validator, chunkBytes: 8192 });
    await server.putFile('/file.bin', content);
    const destination = join(directory, `${validator}.bin`);
    const run = async (extra: Partial<DownloadOptions> = {}) => {
      const events: DownloadEvent[] = [];
      const outcome = await download({
        url: server.url('/file.bin'),
        destination,
        adapters: [wrap(server.adapter)],
        retries: 0,
        progressIntervalMs: 0,
        onEvent: (event) => events.push(event),
        ...extra,
      }).catch((error: unknown) => error);
      return { events, outcome };
    };
    return { server, run };
  }

  for (const mode of ['strong', 'weak'] as const) {
    it(`reports the true total and the bytes on disk on a resume, never what is left (${mode})`, async () => {
      const { server, run } = await setup(mode);
      server.setFaults({ dropAfterBytes: 200_000, dropTimes: 1 });
      const first = await run();
      expect((first.outcome as RegetError).code).toBe(ErrorCode.PARTIAL);
      server.setFaults({});
      const { events, outcome } = await run();
      expect(outcome).not.toBeInstanceOf(Error);
      expect(events.find((event) => event.type === 'decision')).toMatchObject({
        action: 'resume',
        offset: 200_000,
        total: size,
      });
      const progress = progressOf(events);
      expect(progress.length).toBeGreaterThan(1);
      let previous = 0;
      for (const event of progress) {
        expect(event.total).toBe(size);
        expect(event.bytesOnDisk).toBeGreaterThanOrEqual(200_000);
        expect(event.bytesOnDisk).toBeGreaterThanOrEqual(previous);
        expect(event.bytesPerSecond).toBeGreaterThanOrEqual(0);
        if (event.etaSeconds !== undefined) expect(event.etaSeconds).toBeGreaterThanOrEqual(0);
        previous = event.bytesOnDisk;
      }
      expect(progress.at(-1)?.bytesOnDisk).toBe(size);
      expect(events.at(-1)).toMatchObject({ type: 'complete', size });
    });
  }

  it('derives the ETA from what is left of the true total at the measured speed', async () => {
    const { server, run } = await setup('strong');
    server.setFaults({ dropAfterBytes: 100_000, dropTimes: 1 });
    await run();
    server.setFaults({});
    const { events } = await run({ limitRateBytesPerSecond: 600_000 });
    const timed = progressOf(events).filter((event) => event.etaSeconds !== undefined);
    expect(timed.length).toBeGreaterThan(0);
    for (const event of timed) {
      expect(event.total).toBe(size);
      expect(event.bytesPerSecond).toBeGreaterThan(0);
      expect(event.etaSeconds).toBeCloseTo((size - event.bytesOnDisk) / event.bytesPerSecond, 3);
    }
  });

  it('gives a download too fast to smooth its real speed in the last progress event', async () => {
    const { run } = await setup('strong');
    // The default interval: a 300 kB download from memory takes a few ms, less than one interval.
    const { events } = await run({ progressIntervalMs: 200 });
    const last = progressOf(events).at(-1);
    expect(last?.bytesOnDisk).toBe(size);
    expect(last?.bytesPerSecond).toBeGreaterThan(0);
  });

  it('reports an unknown total as unknown, with no ETA, fresh and on a resume', async () => {
    const { server, run } = await setup('strong', sizeless);
    server.setFaults({ dropAfterBytes: 120_000, dropTimes: 1 });
    const first = await run();
    expect((first.outcome as RegetError).code).toBe(ErrorCode.PARTIAL);
    expect(first.events.find((event) => event.type === 'probe')).toMatchObject({ total: undefined });
    server.setFaults({});
    const second = await run();
    expect(second.outcome).not.toBeInstanceOf(Error);
    expect(second.events.find((event) => event.type === 'decision')).toMatchObject({
      action: 'resume',
      offset: 120_000,
      total: undefined,
    });
    for (const { events } of [first, second]) {
      const during = progressOf(events).filter((event) => event.bytesOnDisk < size);
      expect(during.length).toBeGreaterThan(0);
      for (const event of during) {
        expect(event.total).toBeUndefined();
        expect(event.etaSeconds).toBeUndefined();
      }
    }
    for (const event of progressOf(second.events)) expect(event.bytesOnDisk).toBeGreaterThanOrEqual(120_000);
    expect(second.events.at(-1)).toMatchObject({ type: 'complete', size });
  });
});

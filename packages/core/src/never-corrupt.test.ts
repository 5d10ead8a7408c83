import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { failureOf, type MemoryServer, type MemoryValidatorMode, makeContent, sha256 } from '@reget/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { interrupt, memoryFixture } from '../test/memory-fixture.js';
import type { Adapter, ReadRequest, ReadResponse, RemoteStat } from './contract.js';
import { download } from './download.js';
import { ErrorCode } from './errors.js';
import { redactUrl } from './url.js';

/** Invariant 1, never corrupt: the finished file is one version of the remote, or the call fails. */
const size = 300_000;
const overlap = 65_536;
const content = makeContent(size, 21);
const modes: MemoryValidatorMode[] = ['strong', 'weak', 'none'];

interface Hooks {
  afterStat?: (stat: RemoteStat) => Promise<void>;
  request?: (request: ReadRequest) => ReadRequest;
  response?: (response: ReadResponse) => ReadResponse;
}

/** The memory adapter with a server behaviour the memory faults cannot script. */
function hooked(adapter: Adapter, hooks: Hooks): Adapter {
  return {
    ...adapter,
    async open(url, context) {
      const remote = await adapter.open(url, context);
      return {
        async stat(signal) {
          const stat = await remote.stat(signal);
          await hooks.afterStat?.(stat);
          return stat;
        },
        async read(request) {
          const response = await remote.read(hooks.request?.(request) ?? request);
          return hooks.response?.(response) ?? response;
        },
        close: () => remote.close(),
      };
    },
  };
}

describe('never corrupt', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'reget-corrupt-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  const setup = (validator: MemoryValidatorMode = 'strong') => memoryFixture(directory, content, validator);

  for (const mode of modes) {
    it(`refuses a 206 that starts after the asked offset and leaves the partial untouched (${mode})`, async () => {
      const { server, destination, options, part, claimedEnd } = await setup(mode);
      await interrupt(server, options(), 200_000);
      const before = await part();
      server.setFaults({ shiftStart: 1000 });
      expect((await failureOf(download(options({ retries: 2 })))).code).toBe(ErrorCode.PROTOCOL);
      expect(Buffer.compare(await part(), before)).toBe(0);
      expect(await claimedEnd()).toBeLessThanOrEqual(before.length);
      expect(await stat(destination).catch(() => 'absent')).toBe('absent');
    });

    it(`verifies a 206 that starts before the asked offset and writes it in place (${mode})`, async () => {
      const { server, destination, options } = await setup(mode);
      await interrupt(server, options(), 200_000);
      server.setFaults({ shiftStart: -1000 });
      const result = await download(options());
      expect(sha256(await readFile(destination))).toBe(sha256(content));
      expect(result.restarts).toBe(0);
      expect(server.bytesSent()).toBeLessThanOrEqual(size - 200_000 + overlap + 1000);
    });

    it(`never writes bytes past the declared total (FAULTS NET-05) (${mode})`, async () => {
      const { server, destination, options, part, claimedEnd } = await setup(mode);
      // Known total: the extra bytes are left unread and the file is exact.
      server.setFaults({ extraBytes: 100 });
      await download(options());
      expect(sha256(await readFile(destination))).toBe(sha256(content));
      await rm(destination);

      // Total unknown until the answer: the extra bytes are a PROTOCOL error, never written or claimed.
      server.setFaults({ extraBytes: 5000, hideSize: true });
      expect((await failureOf(download(options()))).code).toBe(ErrorCode.PROTOCOL);
      const kept = await part();
      expect(kept.length).toBeLessThanOrEqual(size);
      expect(Buffer.compare(kept, content.subarray(0, kept.length))).toBe(0);
      expect(await claimedEnd()).toBeLessThanOrEqual(kept.length);

      server.setFaults({});
      await download(options());
      expect(sha256(await readFile(destination))).toBe(sha256(content));
    });

    it(`detects a version change on the read answer, not only on stat (${mode})`, async () => {
      const { server, destination, events, options, part } = await setup(mode);
      await interrupt(server, options(), 200_000);
      // Same bytes, new version: only the validator on the answer can tell (none: new bytes, the overlap tells).
      const next = mode === 'none' ? makeContent(size, 22) : content;
      let changes = 1;
      const racing = hooked(server.adapter, {
        afterStat: async () => {
          if (changes-- > 0) await server.putFile('/file.bin', next);
        },
      });
      const before = await part();
      const refused = await failureOf(download(options({ adapters: [racing], allowRestart: false })));
      expect(refused.code).toBe(ErrorCode.REMOTE_CHANGED);
      expect(Buffer.compare(await part(), before)).toBe(0);

      await server.putFile('/file.bin', content);
      changes = 1;
      await interrupt(server, options({ restart: true }), 200_000);
      const result = await download(options({ adapters: [racing] }));
      expect(result.restarts).toBe(1);
      expect(events.some((event) => event.type === 'restart' && event.reason === 'remote changed')).toBe(
        true,
      );
      expect(sha256(await readFile(destination))).toBe(sha256(next));
    });

    it(`restarts at most three times when the remote changes on every attempt (${mode})`, async () => {
      const { server, events, options } = await setup(mode);
      let seed = 100;
      const churning = hooked(server.adapter, {
        afterStat: () => server.putFile('/file.bin', makeContent(size, seed++)),
      });
      // The new version is served from the next stat on; every read drops after 100 kB.
      server.setFaults({ dropAfterBytes: 100_000 });
      const error = await failureOf(download(options({ adapters: [churning], retries: 20 })));
      expect(error.code).toBe(ErrorCode.REMOTE_CHANGED);
      expect(events.filter((event) => event.type === 'restart').length).toBe(3);
    });

    for (const slice of [32_000, 100_000]) {
      it(`resumes through honest short answers of ${slice} bytes: no failures, one overlap (${mode})`, async () => {
        const { server, destination, events, options } = await setup(mode);
        await interrupt(server, options(), 100_000);
        server.setFaults({ sliceBytes: slice });
        const result = await download(options());
        expect(sha256(await readFile(destination))).toBe(sha256(content));
        expect(events.some((event) => event.type === 'retry')).toBe(false);
        expect(result.restarts).toBe(0);
        expect(server.reads.length).toBeGreaterThanOrEqual(Math.ceil((size - 100_000) / slice));
        expect(server.bytesSent()).toBeLessThanOrEqual(size - 100_000 + overlap);
      });
    }
  }

  it('detects a 206 of a new version when the server ignores If-Range (FAULTS CHG-03)', async () => {
    const { server, destination, options, part } = await setup('strong');
    await interrupt(server, options(), 200_000);
    const before = await part();
    await server.putFile('/file.bin', content);
    const ignoresIfRange = hooked(server.adapter, {
      request: (request) => ({ ...request, validator: undefined }),
    });
    const error = await failureOf(download(options({ adapters: [ignoresIfRange], allowRestart: false })));
    expect(error.code).toBe(ErrorCode.REMOTE_CHANGED);
    expect(Buffer.compare(await part(), before)).toBe(0);
    const result = await download(options({ adapters: [ignoresIfRange] }));
    expect(result.restarts).toBe(1);
    expect(sha256(await readFile(destination))).toBe(sha256(content));
  });

  describe('a 416 when the total is unknown until the read', () => {
    async function forgeJournal(server: MemoryServer, destination: string, partial: Uint8Array) {
      const url = server.url('/file.bin');
      const signal = new AbortController().signal;
      const remote = await server.adapter.open(new URL(url), { signal, connectTimeoutMs: 1000 });
      const { validator } = await remote.stat(signal);
      await writeFile(`${destination}.part`, partial);
      const journal = {
        version: 1,
        url: redactUrl(url),
        total: null,
        validator,
        ranges: [[0, partial.length]],
      };
      await writeFile(`${destination}.reget`, JSON.stringify(journal));
    }

    it('is complete when the local file holds exactly the remote', async () => {
      const { server, destination, options } = await setup('strong');
      await forgeJournal(server, destination, content);
      server.setFaults({ hideSize: true });
      const result = await download(options());
      expect(result.isAlreadyComplete).toBe(true);
      expect(result.fetchedBytes).toBe(0);
      expect(server.reads.map((read) => read.start)).toEqual([size]);
      expect(sha256(await readFile(destination))).toBe(sha256(content));
    });

    it('restarts (or fails REMOTE_CHANGED when refused) when the local file is larger', async () => {
      const { server, destination, events, options, part } = await setup('strong');
      const larger = Buffer.concat([content, Buffer.alloc(1000, 7)]);
      await forgeJournal(server, destination, larger);
      server.setFaults({ hideSize: true });
      expect((await failureOf(download(options({ allowRestart: false })))).code).toBe(
        ErrorCode.REMOTE_CHANGED,
      );
      expect(Buffer.compare(await part(), larger)).toBe(0);
      const result = await download(options());
      expect(result.restarts).toBe(1);
      expect(events.some((e) => e.type === 'restart' && e.reason === 'local larger than remote')).toBe(true);
      expect(sha256(await readFile(destination))).toBe(sha256(content));
    });

    it('restarts when a partial without journal reaches past the end by more than the overlap', async () => {
      const { server, destination, options } = await setup('weak');
      await writeFile(`${destination}.part`, Buffer.concat([content, Buffer.alloc(100_000, 7)]));
      server.setFaults({ hideSize: true });
      const result = await download(options());
      expect(result.restarts).toBe(1);
      expect(sha256(await readFile(destination))).toBe(sha256(content));
    });
  });

  it('downloads a file whose size is never declared and completes at the end of the body', async () => {
    const { server, destination, options } = await setup('strong');
    const unknown = hooked(server.adapter, {
      response: (response) => ({ ...response, total: undefined, end: undefined }),
    });
    server.setFaults({ hideSize: true, dropAfterBytes: 120_000, dropTimes: 1 });
    expect((await failureOf(download(options({ adapters: [unknown] })))).code).toBe(ErrorCode.PARTIAL);
    server.setFaults({ hideSize: true });
    server.resetCounters();
    const result = await download(options({ adapters: [unknown] }));
    expect(result.size).toBe(size);
    expect(server.bytesSent()).toBeLessThanOrEqual(size - 120_000 + overlap);
    expect(sha256(await readFile(destination))).toBe(sha256(content));
  });
});

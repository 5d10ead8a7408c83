import { statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createMemoryServer,
  deriveSeed,
  type MemoryValidatorMode,
  makeContent,
  seededRandom,
  sha256,
} from '@reget/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Adapter } from './contract.js';
import { download } from './download.js';
import { RegetError } from './errors.js';

/** Invariant 3, only fetch what is missing: each read brings the missing bytes plus the overlap, no more. */
const overlap = 65_536;
const modes: MemoryValidatorMode[] = ['strong', 'weak', 'none'];

interface ReadLog {
  readonly start: number;
  /** Size of the partial when the read was sent. */
  readonly onDisk: number;
  received: number;
}

async function* counted(body: AsyncIterable<Uint8Array>, entry: ReadLog): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    entry.received += chunk.length;
    yield chunk;
  }
}

/** The adapter, recording for every read what was on disk and how many bytes came back. */
function recording(adapter: Adapter, partial: () => string, log: ReadLog[]): Adapter {
  const sizeOf = (path: string) => statSync(path, { throwIfNoEntry: false })?.size ?? 0;
  return {
    ...adapter,
    async open(url, context) {
      const remote = await adapter.open(url, context);
      return {
        stat: (signal) => remote.stat(signal),
        async read(request) {
          const entry: ReadLog = { start: request.start, onDisk: sizeOf(partial()), received: 0 };
          log.push(entry);
          const response = await remote.read(request);
          return { ...response, body: counted(response.body, entry) };
        },
        close: () => remote.close(),
      };
    },
  };
}

describe('only fetch what is missing', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'reget-missing-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  const seed = Number(process.env.REGET_SEED ?? 20261125);
  for (const mode of modes) {
    it(`is byte-identical for random cuts, several per download, fetching only the missing bytes (${mode}, seed ${seed})`, async () => {
      // Each mode draws its own numbers (weak and none once shared one seed); REGET_SEED replays all.
      const random = seededRandom(deriveSeed(seed, mode));
      const server = createMemoryServer({ validator: mode, chunkBytes: 1 + Math.floor(random() * 32_768) });
      const log: ReadLog[] = [];
      for (let round = 0; round < 10; round++) {
        const size = 1 + Math.floor(random() * 400_000);
        const content = makeContent(size, seed + round);
        const name = `r${round}.bin`;
        await server.putFile(`/${name}`, content);
        const destination = join(directory, name);
        const adapter = recording(server.adapter, () => `${destination}.part`, log);
        for (let call = 0; ; call++) {
          const where = `REGET_SEED=${seed} ${mode} round ${round} size ${size} call ${call}`;
          const isLast = call === 4;
          // Drops, and honest short answers now and then; the last call runs clean.
          const sliceBytes = random() < 0.4 ? 4_000 + Math.floor(random() * 150_000) : undefined;
          const faults = isLast
            ? {}
            : {
                dropAfterBytes: 1 + Math.floor(random() * (size / 2)),
                dropTimes: 1 + Math.floor(random() * 3),
                sliceBytes,
              };
          const retries = isLast ? 0 : Math.floor(random() * 3);
          server.setFaults(faults);
          server.resetCounters();
          log.length = 0;
          const onDiskBefore = statSync(`${destination}.part`, { throwIfNoEntry: false })?.size ?? 0;
          let attempts = 0;
          const outcome = await download({
            url: server.url(`/${name}`),
            destination,
            adapters: [adapter],
            retries,
            retryDelayMs: 0,
            onEvent: (event) => {
              if (event.type === 'decision') attempts += 1;
            },
          }).catch((error: unknown) => error);

          for (const read of log) {
            expect(read.start, `${where} read from ${read.start}`).toBeGreaterThanOrEqual(
              read.onDisk - overlap,
            );
            expect(read.received, `${where} read from ${read.start}`).toBeLessThanOrEqual(
              size - read.onDisk + overlap,
            );
          }
          // Each attempt re-reads at most one overlap window, however many reads it takes.
          const bound = size - onDiskBefore + attempts * overlap;
          expect(server.bytesSent(), `${where}: ${attempts} attempts`).toBeLessThanOrEqual(bound);
          if (outcome instanceof RegetError) {
            expect(isLast, `${where}: ${outcome.code}`).toBe(false);
            const partial = await readFile(`${destination}.part`);
            expect(Buffer.compare(partial, content.subarray(0, partial.length)), where).toBe(0);
            continue;
          }
          expect(outcome, where).not.toBeInstanceOf(Error);
          const result = outcome as Awaited<ReturnType<typeof download>>;
          expect(sha256(await readFile(destination)), where).toBe(sha256(content));
          expect(result.fetchedBytes, where).toBe(server.bytesSent());
          if (mode === 'strong') expect(result.fetchedBytes, where).toBeLessThanOrEqual(size - onDiskBefore);
          break;
        }
      }
    });
  }
});

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryServer, type MemoryServer, makeContent } from '@reget/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Adapter } from './contract.js';
import { download } from './download.js';

/** A remote that never says how large it is: no size on stat, no total on any answer (FAULTS HTTP-12). */
function sizeless(server: MemoryServer): Adapter {
  return {
    ...server.adapter,
    async open(url, context) {
      const remote = await server.adapter.open(url, context);
      return {
        stat: async (signal) => ({ ...(await remote.stat(signal)), size: undefined }),
        read: async (request) => ({ ...(await remote.read(request)), total: undefined }),
        close: () => remote.close(),
      };
    },
  };
}

describe('a remote of unknown size', () => {
  const size = 200_000;
  const content = makeContent(size, 91);
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'reget-sizeless-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('takes an honest short slice for a slice, not for the end of the file (FAULTS HTTP-07)', async () => {
    const server = createMemoryServer({ validator: 'none' });
    await server.putFile('/f.bin', content);
    server.setFaults({ sliceBytes: 50_000 });
    const destination = join(directory, 'f.bin');
    await writeFile(`${destination}.part`, content.subarray(0, 100_000));
    const result = await download({
      url: server.url('/f.bin'),
      destination,
      adapters: [sizeless(server)],
      retries: 0,
    });
    expect(result.size).toBe(size);
    expect(Buffer.compare(await readFile(destination), content)).toBe(0);
  });
});

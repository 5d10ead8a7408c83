import { once } from 'node:events';
import { ErrorCode, isRegetError, type ReadResponse, RegetError, type Remote } from '@reget/core';
import { makeContent, type SftpServer, seededRandom, startSftpServer } from '@reget/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const size = 300_000 + 7;
const content = Buffer.from(makeContent(size, 3));

async function collect(response: ReadResponse): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of response.body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Collects a body that must fail: the error, and the bytes delivered before it. */
async function collectFailure(response: ReadResponse): Promise<{ error: RegetError; received: Buffer }> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of response.body) chunks.push(Buffer.from(chunk));
  } catch (error) {
    if (!isRegetError(error)) throw error;
    return { error, received: Buffer.concat(chunks) };
  }
  throw new Error('expected the body to fail');
}

async function rejection(promise: Promise<unknown>): Promise<RegetError> {
  try {
    await promise;
  } catch (error) {
    if (isRegetError(error)) return error;
    throw error;
  }
  throw new Error('expected a RegetError');
}

describe('SftpRemote stat and read', () => {
  let server: SftpServer;
  let remote: Remote;
  let counter = 0;
  let path: string;
  const signal = () => new AbortController().signal;
  const open = (url: string) =>
    server.adapter.open(new URL(url), { signal: signal(), connectTimeoutMs: 5_000 });

  beforeAll(async () => {
    server = await startSftpServer();
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(async () => {
    path = `/data/file-${++counter}.bin`;
    await server.putFile(path, content);
    server.setFaults({});
    server.resetCounters();
    remote = await open(server.url(path));
  });
  afterEach(async () => {
    await remote.close();
  });

  it('stats size and a weak size+mtime validator, and serves ranges', async () => {
    const stat = await remote.stat(signal());
    expect(stat.size).toBe(size);
    expect(stat.acceptsRanges).toBe(true);
    expect(stat.validator?.isStrong).toBe(false);
    expect(stat.validator?.value).toMatch(new RegExp(`^sftp:${size}:\\d+$`));
    // SFTP v3 gives mtime in whole seconds since 1970: the validator's number, as a Date.
    const mtime = Number(stat.validator?.value.split(':')[2]);
    expect(stat.modifiedAt).toEqual(new Date(mtime * 1000));
    expect(stat.modifiedAt?.getUTCFullYear()).toBeGreaterThanOrEqual(2025);
    expect(stat.url).not.toContain(encodeURIComponent(server.password));
  });

  it('reads the whole file, and answers with start, total and the same validator', async () => {
    const stat = await remote.stat(signal());
    const response = await remote.read({ start: 0, signal: signal() });
    expect(response).toMatchObject({ start: 0, total: size, end: size, validator: stat.validator });
    expect((await collect(response)).equals(content)).toBe(true);
    expect(server.bytesSent()).toBe(size);
  });

  it('reads from any offset, and stops at end when given', async () => {
    for (const start of [1, 511, 512, 513, 31_952, 65_536, size - 1]) {
      expect(
        (await collect(await remote.read({ start, signal: signal() }))).equals(content.subarray(start)),
        `start ${start}`,
      ).toBe(true);
    }
    const ranged = await remote.read({ start: 1000, end: 70_000, signal: signal() });
    expect(ranged.end).toBe(70_000);
    expect((await collect(ranged)).equals(content.subarray(1000, 70_000))).toBe(true);
    const past = await remote.read({ start: size - 10, end: size + 100, signal: signal() });
    expect((await collect(past)).equals(content.subarray(size - 10))).toBe(true);
  });

  it('answers a start at or past the end as unsatisfiable, with the true total (SFTP-04)', async () => {
    for (const start of [size, size + 50]) {
      const response = await remote.read({ start, signal: signal() });
      expect(response.isUnsatisfiable).toBe(true);
      expect(response.total).toBe(size);
      expect(await collect(response)).toHaveLength(0);
    }
  });

  it('reads to end of file when the server leaves the size out (SFTP-05)', async () => {
    server.setFaults({ omitSize: true });
    expect((await remote.stat(signal())).size).toBeUndefined();
    const response = await remote.read({ start: 10, signal: signal() });
    expect(response.total).toBeUndefined();
    expect((await collect(response)).equals(content.subarray(10))).toBe(true);
    const past = await remote.read({ start: size + 5, signal: signal() });
    expect(await collect(past)).toHaveLength(0);
  });

  it('delivers the exact bytes when every READ comes back short (SFTP-06)', async () => {
    server.setFaults({ shortReads: 1000 });
    expect(
      (await collect(await remote.read({ start: 7, signal: signal() }))).equals(content.subarray(7)),
    ).toBe(true);
    server.setFaults({ shortReads: 1 });
    const tiny = await remote.read({ start: 100, end: 400, signal: signal() });
    expect((await collect(tiny)).equals(content.subarray(100, 400))).toBe(true);
  });

  it('delivers the exact bytes under random short reads (seeded)', async () => {
    const seed = Number(process.env.REGET_SEED ?? 5150);
    const random = seededRandom(seed);
    server.setFaults({ shortReads: (requested) => 1 + Math.floor(random() * requested) });
    const body = await collect(await remote.read({ start: 12_345, signal: signal() }));
    expect(body.equals(content.subarray(12_345)), `seed ${seed}`).toBe(true);
  });

  it('fails PARTIAL when the file shrinks while being read (SFTP-07)', async () => {
    const response = await remote.read({ start: 0, signal: signal() });
    server.shrinkFile(path, 100_000);
    const { error, received } = await collectFailure(response);
    expect(error.code).toBe(ErrorCode.PARTIAL);
    expect(error.retryable).toBe(true);
    expect(received.equals(content.subarray(0, received.length))).toBe(true);
    expect(received.length).toBe(100_000);
  });

  it('stops at the stat size when the file grows while being read (SFTP-07)', async () => {
    const response = await remote.read({ start: 0, signal: signal() });
    server.growFile(path, Buffer.alloc(50_000, 0x41));
    expect((await collect(response)).equals(content)).toBe(true);
  });

  it('reports a replaced file with another validator, same size or not (CHG-05)', async () => {
    const before = await remote.stat(signal());
    await server.putFile(path, Buffer.from(makeContent(size, 4)));
    const sameSize = await remote.stat(signal());
    expect(sameSize.size).toBe(size);
    expect(sameSize.validator?.value).not.toBe(before.validator?.value);
    await server.putFile(path, Buffer.from(makeContent(size + 200, 4)));
    const grown = await remote.read({ start: 0, signal: signal() });
    expect(grown.total).toBe(size + 200);
    expect(grown.validator?.value).not.toBe(sameSize.validator?.value);
    await collect(grown);
  });

  for (const scope of ['channel', 'connection'] as const) {
    it(`keeps every byte before a dropped ${scope} and fails PARTIAL (NET-01)`, async () => {
      for (const cut of [0, 1, 511, 512, 513, 65_537, size - 1]) {
        const fresh = await open(server.url(path));
        server.setFaults({ dropAfterBytes: cut, dropScope: scope });
        const { error, received } = await collectFailure(await fresh.read({ start: 0, signal: signal() }));
        expect(error.code, `cut ${cut}`).toBe(ErrorCode.PARTIAL);
        expect(error.retryable).toBe(true);
        expect(received.equals(content.subarray(0, cut)), `cut ${cut}`).toBe(true);
        await fresh.close();
      }
    });
  }

  it('logs in again for a read that starts after the connection died', async () => {
    server.setFaults({ dropAfterBytes: 10, dropTimes: 1, dropScope: 'connection' });
    const accepted = server.connectionsAccepted();
    await collectFailure(await remote.read({ start: 0, signal: signal() }));
    const body = await collect(await remote.read({ start: 10, signal: signal() }));
    expect(body.equals(content.subarray(10))).toBe(true);
    expect(server.connectionsAccepted()).toBe(accepted + 1);
  });

  it('serves concurrent reads on one remote (segments)', async () => {
    const ranges = [
      [0, 100_000],
      [100_000, 200_000],
      [200_000, size],
    ] as const;
    const bodies = await Promise.all(
      ranges.map(async ([start, end]) => collect(await remote.read({ start, end, signal: signal() }))),
    );
    expect(Buffer.concat(bodies).equals(content)).toBe(true);
  });

  it('reuses the channel after a reader stops early', async () => {
    const response = await remote.read({ start: 0, signal: signal() });
    for await (const chunk of response.body) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    expect(
      (await collect(await remote.read({ start: 5, signal: signal() }))).equals(content.subarray(5)),
    ).toBe(true);
  });

  it('keeps the channel for the next read when a reader stops early (another connection took the rest)', async () => {
    const response = await remote.read({ start: 0, signal: signal() });
    const opened = server.sftpChannelsOpened();
    for await (const chunk of response.body) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    const second = await collect(await remote.read({ start: 7, end: 250_000, signal: signal() }));
    expect(second.equals(content.subarray(7, 250_000))).toBe(true);
    expect(server.sftpChannelsOpened()).toBe(opened);
    expect((await collect(await remote.read({ start: 0, signal: signal() }))).equals(content)).toBe(true);
    expect(server.sftpChannelsOpened()).toBe(opened);
  });

  it('releases a stalled read promptly on abort, with ABORTED or the abort reason (NET-03)', async () => {
    server.setFaults({ stallAfterBytes: 70_000 });
    const controller = new AbortController();
    const response = await remote.read({ start: 0, signal: controller.signal });
    const stalled = once(server.events, 'stall');
    const failing = collectFailure(response);
    await stalled;
    controller.abort();
    const { error, received } = await failing;
    expect(error.code).toBe(ErrorCode.ABORTED);
    expect(received.equals(content.subarray(0, received.length))).toBe(true);

    const watchdog = new AbortController();
    const second = await remote.read({ start: 0, signal: watchdog.signal });
    const stalledAgain = once(server.events, 'stall');
    const failingAgain = collectFailure(second);
    await stalledAgain;
    watchdog.abort(new RegetError(ErrorCode.TIMEOUT, 'No data for 1 s.'));
    expect((await failingAgain).error.code).toBe(ErrorCode.TIMEOUT);
  });

  it('aborts a read whose body was never iterated', async () => {
    const controller = new AbortController();
    const response = await remote.read({ start: 0, signal: controller.signal });
    controller.abort();
    expect((await collectFailure(response)).error.code).toBe(ErrorCode.ABORTED);
    expect((await collect(await remote.read({ start: 0, signal: signal() }))).equals(content)).toBe(true);
  });

  it('maps a missing file to NOT_FOUND and a denied one to PERMISSION (SFTP-03)', async () => {
    const missing = await open(server.url('/data/missing.bin'));
    const notFound = await rejection(missing.stat(signal()));
    expect(notFound.code).toBe(ErrorCode.NOT_FOUND);
    expect(notFound.retryable).toBe(false);
    expect((await rejection(missing.read({ start: 0, signal: signal() }))).code).toBe(ErrorCode.NOT_FOUND);
    await missing.close();

    server.denyRead(path);
    const denied = await rejection(remote.read({ start: 0, signal: signal() }));
    expect(denied.code).toBe(ErrorCode.PERMISSION);
    expect(denied.retryable).toBe(false);
  });

  it('refuses a directory as a final PROTOCOL failure, like HTTP 404 or FTP 550 (exit 7, not 2)', async () => {
    const directory = await open(server.url('/data'));
    for (const error of [
      await rejection(directory.stat(signal())),
      await rejection(directory.read({ start: 0, signal: signal() })),
    ]) {
      expect(error.code).toBe(ErrorCode.PROTOCOL);
      expect(error.retryable).toBe(false);
      expect(error.message).toMatch(/directory/);
    }
    await directory.close();
  });

  it('reads /~/ paths from the login directory, and ~user literally (SFTP-03)', async () => {
    await server.putFile(`/home/${server.username}/in-home.bin`, Buffer.from('home sweet home'));
    const home = await open(server.url('/~/in-home.bin'));
    expect((await collect(await home.read({ start: 5, signal: signal() }))).toString()).toBe('sweet home');
    await home.close();
    const literal = await open(server.url(`/~${server.username}/in-home.bin`));
    expect((await rejection(literal.stat(signal()))).code).toBe(ErrorCode.NOT_FOUND);
    await literal.close();
  });
});

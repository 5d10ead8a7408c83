import { ErrorCode, type ReadResponse, type RegetError, type Remote } from '@reget/core';
import { type FtpFaults, type FtpTestServer, makeContent, startFtpServer } from '@reget/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFtpAdapter } from './adapter.js';

const size = 100_000;
const content = makeContent(size, 21);
const signal = new AbortController().signal;

let server: FtpTestServer;
let remote: Remote | undefined;

beforeAll(async () => {
  server = await startFtpServer();
  await server.putFile('/file.bin', content);
});
afterEach(async () => {
  await remote?.close();
  remote = undefined;
  server.setFaults({});
});
afterAll(async () => {
  await server.close();
});

async function drain(response: ReadResponse): Promise<{ bytes: Buffer; error: RegetError | undefined }> {
  const chunks: Uint8Array[] = [];
  try {
    for await (const chunk of response.body) chunks.push(chunk);
    return { bytes: Buffer.concat(chunks), error: undefined };
  } catch (error) {
    return { bytes: Buffer.concat(chunks), error: error as RegetError };
  }
}

/** Reads from `start` under `faults`; the options go to the adapter. */
async function readWith(faults: FtpFaults, start = 0, options = {}) {
  server.setFaults(faults);
  remote = await createFtpAdapter(options).open(new URL(server.url('/file.bin')), {
    signal,
    connectTimeoutMs: 5_000,
  });
  return drain(await remote.read({ start, signal }));
}

describe('a data connection that closes early (NET-01, FTP-06)', () => {
  for (const cut of [0, 1, 511, 512, 513, size - 1]) {
    it(`keeps the ${cut} bytes that arrived and fails PARTIAL, though the server says 226`, async () => {
      const { bytes, error } = await readWith({ dropAfterBytes: cut });
      expect(error?.code).toBe(ErrorCode.PARTIAL);
      expect(error?.retryable).toBe(true);
      expect(Buffer.compare(bytes, content.subarray(0, cut))).toBe(0);
    });
  }

  it('counts from the REST offset on a resumed read', async () => {
    const { bytes, error } = await readWith({ dropAfterBytes: 44 }, 50_000);
    expect(error?.code).toBe(ErrorCode.PARTIAL);
    expect(Buffer.compare(bytes, content.subarray(50_000, 50_044))).toBe(0);
  });

  for (const reply of [426, 451, 421] as const) {
    it(`fails PARTIAL on a cut answered with ${reply}`, async () => {
      const { bytes, error } = await readWith({ dropAfterBytes: 4096, dropReply: reply });
      expect(error?.code).toBe(ErrorCode.PARTIAL);
      expect(error?.retryable).toBe(true);
      // basic-ftp drops the data connection on a negative reply, so bytes still in flight may be lost.
      expect(bytes.length).toBeLessThanOrEqual(4096);
      expect(Buffer.compare(bytes, content.subarray(0, bytes.length))).toBe(0);
    });
  }
});

describe('a wrong final reply after all bytes (FTP-06)', () => {
  for (const reply of [426, 451, 421] as const) {
    it(`fails PARTIAL on ${reply} instead of 226, even with the full byte count`, async () => {
      const { bytes, error } = await readWith({ finalReply: reply });
      expect(error?.code).toBe(ErrorCode.PARTIAL);
      expect(error?.retryable).toBe(true);
      expect(Buffer.compare(bytes, content.subarray(0, bytes.length))).toBe(0);
    });
  }

  it('reuses the control connection only after a clean 226', async () => {
    await readWith({ finalReply: 421 });
    server.setFaults({});
    const again = await drain(await remote!.read({ start: 0, signal }));
    expect(again.error).toBeUndefined();
    expect(Buffer.compare(again.bytes, content)).toBe(0);
  });
});

describe('stalls (NET-03)', () => {
  it('times out a stalled data connection with TIMEOUT, keeping the bytes', async () => {
    const { bytes, error } = await readWith({ stallAfterBytes: 20_000 }, 0, { idleTimeoutMs: 300 });
    expect(error?.code).toBe(ErrorCode.TIMEOUT);
    expect(error?.retryable).toBe(true);
    expect(Buffer.compare(bytes, content.subarray(0, 20_000))).toBe(0);
  });

  it('times out a SIZE that is never answered with TIMEOUT', async () => {
    remote = await createFtpAdapter({ idleTimeoutMs: 300 }).open(new URL(server.url('/file.bin')), {
      signal,
      connectTimeoutMs: 5_000,
    });
    server.setFaults({ silent: ['SIZE'] });
    const error = await remote.stat(signal).catch((caught: RegetError) => caught);
    expect((error as RegetError).code).toBe(ErrorCode.TIMEOUT);
  });

  it('times out a RETR that is never answered with TIMEOUT', async () => {
    const error = await readWith({ silent: ['RETR'] }, 0, { idleTimeoutMs: 300 }).catch((caught) => caught);
    expect((error as RegetError).code).toBe(ErrorCode.TIMEOUT);
  });

  it('times out a missing final reply after all the data with TIMEOUT', async () => {
    const { bytes, error } = await readWith({ noFinalReply: true }, 0, { idleTimeoutMs: 300 });
    expect(error?.code).toBe(ErrorCode.TIMEOUT);
    expect(Buffer.compare(bytes, content)).toBe(0);
  });
});

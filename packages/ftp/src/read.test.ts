import { ErrorCode, type ReadResponse, type RegetError, type Remote } from '@reget/core';
import { type FtpTestServer, makeContent, startFtpServer } from '@reget/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFtpAdapter } from './adapter.js';

const size = 300_000;
const content = makeContent(size, 11);
const signal = new AbortController().signal;

let server: FtpTestServer;
let remote: Remote | undefined;
let counter = 0;

/** A fresh file with `bytes` and a Remote opened on it; the server's counters and command log start here. */
async function openFile(
  bytes: Uint8Array = content,
  options = {},
): Promise<{ remote: Remote; path: string }> {
  const path = `/r${++counter}.bin`;
  await server.putFile(path, bytes);
  server.resetCounters();
  remote = await createFtpAdapter(options).open(new URL(server.url(path)), {
    signal,
    connectTimeoutMs: 5_000,
  });
  return { remote, path };
}

/** Reads a whole body; returns the bytes that arrived and the error that ended it, if any. */
async function drain(response: ReadResponse): Promise<{ bytes: Buffer; error: RegetError | undefined }> {
  const chunks: Uint8Array[] = [];
  try {
    for await (const chunk of response.body) chunks.push(chunk);
    return { bytes: Buffer.concat(chunks), error: undefined };
  } catch (error) {
    return { bytes: Buffer.concat(chunks), error: error as RegetError };
  }
}

/** Commands from the last `marker` on. */
function commandsAfter(marker: string): string[] {
  const all = server.commands();
  return all.slice(all.lastIndexOf(marker));
}

beforeAll(async () => {
  server = await startFtpServer();
});
afterEach(async () => {
  await remote?.close();
  remote = undefined;
  server.setFaults({});
});
afterAll(async () => {
  await server.close();
});

describe('stat', () => {
  it('reports SIZE, an MDTM validator and REST STREAM support', async () => {
    const { remote } = await openFile();
    const stat = await remote.stat(signal);
    expect(stat.size).toBe(size);
    expect(stat.validator?.value).toMatch(/^mdtm:\d{14}\.\d{3}$/);
    expect(stat.validator?.isStrong).toBe(false);
    expect(stat.acceptsRanges).toBe(true);
    expect(stat.url).not.toContain('@');
  });

  it('leaves range support unknown without REST STREAM in FEAT (FTP-04)', async () => {
    server.setFaults({ noRestStream: true });
    const { remote } = await openFile();
    expect((await remote.stat(signal)).acceptsRanges).toBeUndefined();
  });

  it('treats a missing, odd or oversized SIZE as unknown (FTP-03, SEC-08)', async () => {
    for (const faults of [{ noSize: true }, { oddSize: true }, { sizeReply: '36893488147419103232' }]) {
      server.setFaults(faults);
      const { remote } = await openFile();
      expect((await remote.stat(signal)).size, JSON.stringify(faults)).toBeUndefined();
      await remote.close();
    }
  });

  it('reports a replaced file with a new validator and size (FTP-08, CHG-05)', async () => {
    const { remote, path } = await openFile();
    const before = await remote.stat(signal);
    await server.putFile(path, makeContent(size + 10, 12));
    const after = await remote.stat(signal);
    expect(after.validator?.value).not.toBe(before.validator?.value);
    expect(after.size).toBe(size + 10);
  });

  it('sends TYPE I before SIZE, REST and RETR (FTP-07)', async () => {
    const { remote } = await openFile();
    await remote.stat(signal);
    await drain(await remote.read({ start: 10, signal }));
    const commands = server.commands();
    const typeI = commands.indexOf('TYPE I');
    expect(typeI).toBeGreaterThan(-1);
    for (const verb of ['SIZE', 'REST', 'RETR']) {
      const first = commands.findIndex((command) => command.startsWith(verb));
      expect(first, verb).toBeGreaterThan(typeI);
    }
  });
});

describe('read', () => {
  it('streams the whole file from 0 without REST, reporting start, total and validator', async () => {
    const { remote } = await openFile();
    const response = await remote.read({ start: 0, signal });
    expect(response).toMatchObject({ start: 0, total: size });
    expect(response.validator?.value).toMatch(/^mdtm:/);
    const { bytes, error } = await drain(response);
    expect(error).toBeUndefined();
    expect(Buffer.compare(bytes, content)).toBe(0);
    expect(commandsAfter('EPSV').some((command) => command.startsWith('REST'))).toBe(false);
  });

  it('resumes with REST right before RETR and delivers exactly the rest', async () => {
    const { remote, path } = await openFile();
    const { bytes, error } = await drain(await remote.read({ start: 123_457, signal }));
    expect(error).toBeUndefined();
    expect(Buffer.compare(bytes, content.subarray(123_457))).toBe(0);
    expect(commandsAfter('EPSV')).toEqual(['EPSV', 'REST 123457', `RETR ${path.slice(1)}`]);
  });

  it('answers an offset equal to SIZE with an empty body and no REST or RETR (FTP-01)', async () => {
    const { remote } = await openFile();
    const response = await remote.read({ start: size, signal });
    expect(response).toMatchObject({ isUnsatisfiable: true, total: size });
    expect((await drain(response)).bytes.length).toBe(0);
    expect(server.commands().filter((command) => /^(REST|RETR|EPSV|PASV)/.test(command))).toEqual([]);
  });

  it('downloads an empty file with a plain RETR (FTP-01)', async () => {
    const { remote } = await openFile(new Uint8Array(0));
    const response = await remote.read({ start: 0, signal });
    expect(response.total).toBe(0);
    const { bytes, error } = await drain(response);
    expect(error).toBeUndefined();
    expect(bytes.length).toBe(0);
    expect(server.commands().at(-1)).toMatch(/^RETR /);
  });

  it('answers an offset beyond SIZE as unsatisfiable with the true total, without REST (FTP-02)', async () => {
    const { remote } = await openFile(content.subarray(0, 85));
    const response = await remote.read({ start: 2000, signal });
    expect(response).toMatchObject({ isUnsatisfiable: true, total: 85 });
    expect(server.commands().some((command) => /^(REST|RETR)/.test(command))).toBe(false);
  });

  it('throws RANGE_NOT_SUPPORTED before any RETR when REST is refused (FTP-04)', async () => {
    server.setFaults({ refuseRange: true });
    const { remote } = await openFile();
    const error = await remote.read({ start: 1000, signal }).then(
      () => undefined,
      (caught: RegetError) => caught,
    );
    expect(error?.code).toBe(ErrorCode.RANGE_NOT_SUPPORTED);
    expect(error?.retryable).toBe(false);
    expect(server.commands().some((command) => command.startsWith('RETR'))).toBe(false);
    expect(server.bytesSent()).toBe(0);
  });

  it('fails RANGE_NOT_SUPPORTED when the server accepts REST but sends from byte 0 (FTP-05)', async () => {
    server.setFaults({ ignoreRange: true });
    const { remote } = await openFile();
    const { bytes, error } = await drain(await remote.read({ start: 100_000, signal }));
    expect(error?.code).toBe(ErrorCode.RANGE_NOT_SUPPORTED);
    expect(bytes.length).toBeLessThanOrEqual(size - 100_000);
  });

  it('catches an ignored REST on a read that stops early, before yielding a byte (FTP-05, segments)', async () => {
    server.setFaults({ ignoreRange: true });
    const { remote } = await openFile();
    const error = await remote.read({ start: 100_000, end: 200_000, signal }).then(
      () => undefined,
      (caught: RegetError) => caught,
    );
    expect(error?.code).toBe(ErrorCode.RANGE_NOT_SUPPORTED);
    expect(error?.message).toMatch(/REST 100000/);
  });

  it('checks a read that stops early against the file head once per remote, then streams it whole', async () => {
    const { remote } = await openFile();
    const first = await drain(await remote.read({ start: 100_000, end: 200_000, signal }));
    const second = await drain(await remote.read({ start: 200_000, end: 250_000, signal }));
    expect(Buffer.compare(first.bytes, content.subarray(100_000, 200_000))).toBe(0);
    expect(Buffer.compare(second.bytes, content.subarray(200_000, 250_000))).toBe(0);
    // One RETR without REST for the head, one REST + RETR per read.
    const retrievals = server.commands().filter((command) => command.startsWith('RETR')).length;
    const restarts = server.commands().filter((command) => command.startsWith('REST')).length;
    expect([retrievals, restarts]).toEqual([3, 2]);
  });

  it('reads the file without SIZE, judging the end by the 226 reply (FTP-03)', async () => {
    server.setFaults({ noSize: true });
    const { remote } = await openFile();
    const response = await remote.read({ start: 1000, signal });
    expect(response.total).toBeUndefined();
    const { bytes, error } = await drain(response);
    expect(error).toBeUndefined();
    expect(Buffer.compare(bytes, content.subarray(1000))).toBe(0);
  });

  it('stops after `end` and ends the body normally; the remote keeps working', async () => {
    const { remote } = await openFile();
    const response = await remote.read({ start: 5000, end: 70_000, signal });
    expect(response.end).toBe(70_000);
    const { bytes, error } = await drain(response);
    expect(error).toBeUndefined();
    expect(Buffer.compare(bytes, content.subarray(5000, 70_000))).toBe(0);
    const rest = await drain(await remote.read({ start: 70_000, signal }));
    expect(Buffer.compare(rest.bytes, content.subarray(70_000))).toBe(0);
  });

  it('clamps an `end` past the file to SIZE', async () => {
    const { remote } = await openFile();
    const response = await remote.read({ start: size - 10, end: size + 100, signal });
    expect(response.end).toBe(size);
    expect((await drain(response)).bytes.length).toBe(10);
  });

  it('serves concurrent reads on one remote over separate connections (segments)', async () => {
    const { remote } = await openFile();
    const halves = await Promise.all([
      remote.read({ start: 0, end: size / 2, signal }),
      remote.read({ start: size / 2, signal }),
    ]);
    const [first, second] = await Promise.all(halves.map((response) => drain(response)));
    expect(Buffer.compare(Buffer.concat([first!.bytes, second!.bytes]), content)).toBe(0);
  });

  it('aborts a running body promptly with ABORTED', async () => {
    server.setFaults({ stallAfterBytes: 50_000 });
    const { remote } = await openFile();
    const controller = new AbortController();
    const response = await remote.read({ start: 0, signal: controller.signal });
    let received = 0;
    let error: RegetError | undefined;
    try {
      for await (const chunk of response.body) {
        received += chunk.length;
        if (received >= 50_000) controller.abort();
      }
    } catch (caught) {
      error = caught as RegetError;
    }
    expect(error?.code).toBe(ErrorCode.ABORTED);
  });

  it('refuses a read on an already aborted signal', async () => {
    const { remote } = await openFile();
    const error = await remote
      .read({ start: 0, signal: AbortSignal.abort() })
      .catch((caught: RegetError) => caught);
    expect((error as RegetError).code).toBe(ErrorCode.ABORTED);
  });
});

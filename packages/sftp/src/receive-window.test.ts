import { createHash } from 'node:crypto';
import type { ReadResponse, Remote } from '@reget/core';
import { makeContent, type SftpServer, startSftpServer } from '@reget/testkit';
import ssh2, { type SFTPWrapper } from 'ssh2';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ReceiveWindow } from './receive-window.js';

const mebibyte = 1024 * 1024;
// Larger than ssh2's own 2 MiB channel window, smaller than reget's 4 MiB read-ahead.
const heldBytes = 3 * mebibyte;
const content = Buffer.from(makeContent(6 * mebibyte + 13, 9));
const path = '/data/far.bin';

async function collect(response: ReadResponse): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of response.body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

describe('the SSH channel window over a far server', () => {
  let server: SftpServer;
  let remote: Remote;
  const signal = () => new AbortController().signal;

  beforeAll(async () => {
    server = await startSftpServer();
    await server.putFile(path, content);
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(async () => {
    server.setFaults({ holdFirstReadBytes: heldBytes });
    server.resetCounters();
    remote = await server.adapter.open(new URL(server.url(path)), {
      signal: signal(),
      connectTimeoutMs: 5_000,
    });
  });
  afterEach(async () => {
    await remote.close();
  });

  it('lets the server answer every READ in flight at once, without waiting for window', async () => {
    const response = await remote.read({ start: 0, signal: signal() });
    expect((await collect(response)).equals(content)).toBe(true);
    expect(server.bytesSent()).toBe(content.length);
    expect(server.windowWaits()).toBe(0);
  });

  it('keeps the window open through a whole transfer from an offset, reusing the channel', async () => {
    const first = await remote.read({ start: 0, end: heldBytes + 1, signal: signal() });
    expect((await collect(first)).equals(content.subarray(0, heldBytes + 1))).toBe(true);
    const second = await remote.read({ start: 1_000_003, signal: signal() });
    expect((await collect(second)).equals(content.subarray(1_000_003))).toBe(true);
    expect(server.transferStarts()).toEqual([0, 1_000_003]);
    expect(server.windowWaits()).toBe(0);
  });

  it('counts the waits of the same READs on a channel with ssh2 window (the check can fail)', async () => {
    const ssh = new ssh2.Client();
    const fingerprintOf = (key: Buffer) =>
      `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
    await new Promise<void>((resolve, reject) => {
      ssh.once('ready', resolve).once('error', reject);
      ssh.connect({
        host: server.host,
        port: server.port,
        username: server.username,
        password: server.password,
        hostVerifier: (key: Buffer) => fingerprintOf(key) === server.hostKey.fingerprint,
      });
    });
    try {
      const sftp = await new Promise<SFTPWrapper>((resolve, reject) =>
        ssh.sftp((error, opened) => (error ? reject(error) : resolve(opened))),
      );
      const handle = await new Promise<Buffer>((resolve, reject) =>
        sftp.open(path, 'r', (error, opened) => (error ? reject(error) : resolve(opened))),
      );
      // The READs reget keeps in flight, sent the way reget sends them, on ssh2's own window.
      const requestBytes = 31_952;
      const reads: Promise<number>[] = [];
      for (let offset = 0; offset < 4 * mebibyte; offset += requestBytes) {
        reads.push(
          new Promise((resolve, reject) =>
            sftp.read(handle, Buffer.alloc(requestBytes), 0, requestBytes, offset, (error, bytesRead) =>
              error ? reject(error) : resolve(bytesRead),
            ),
          ),
        );
      }
      const lengths = await Promise.all(reads);
      expect(lengths.reduce((sum, length) => sum + length, 0)).toBe(reads.length * requestBytes);
      expect(server.windowWaits()).toBeGreaterThan(0);
    } finally {
      ssh.end();
    }
  });
});

describe('ReceiveWindow', () => {
  it('leaves a channel alone when ssh2 does not keep its flow control where expected', () => {
    expect(ReceiveWindow.of({} as SFTPWrapper)).toBeUndefined();
    const noProtocol = { incoming: { window: 2 * mebibyte }, outgoing: { id: 0, state: 'open' } };
    expect(ReceiveWindow.of(noProtocol as unknown as SFTPWrapper)).toBeUndefined();
  });

  it('adjusts by what is missing, once enough was used, and never on a closing channel', () => {
    const adjusts: [number, number][] = [];
    const channel = {
      incoming: { window: 2 * mebibyte },
      outgoing: { id: 7, state: 'open' },
      _protocol: { channelWindowAdjust: (id: number, bytes: number) => adjusts.push([id, bytes]) },
    };
    const window = ReceiveWindow.of(channel as unknown as SFTPWrapper);
    window?.widen(5 * mebibyte);
    expect(adjusts).toEqual([[7, 3 * mebibyte]]);
    expect(channel.incoming.window).toBe(5 * mebibyte);
    channel.incoming.window -= 100_000;
    window?.refill(128 * 1024);
    expect(adjusts).toHaveLength(1);
    channel.incoming.window -= 100_000;
    window?.refill(128 * 1024);
    expect(adjusts.at(-1)).toEqual([7, 200_000]);
    expect(channel.incoming.window).toBe(5 * mebibyte);
    window?.widen(mebibyte);
    expect(channel.incoming.window).toBe(5 * mebibyte);
    channel.incoming.window -= mebibyte;
    channel.outgoing.state = 'closing';
    window?.refill(0);
    expect(adjusts).toHaveLength(2);
  });
});

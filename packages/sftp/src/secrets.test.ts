import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { isRegetError, type Remote } from '@reget/core';
import { startSftpServer } from '@reget/testkit';
import { describe, expect, it } from 'vitest';
import { createSftpAdapter } from './adapter.js';

const password = 'Sw0rdf1sh:@/%?#zz';

/** Every text an error could show: message, stack and the whole cause chain. */
function everyText(error: unknown): string {
  const texts: string[] = [];
  for (let current: unknown = error, depth = 0; current !== undefined && depth < 10; depth++) {
    if (current instanceof Error) {
      texts.push(current.message, current.stack ?? '', String(current));
      current = current.cause;
    } else {
      texts.push(String(current));
      current = undefined;
    }
  }
  return texts.join('\n');
}

async function errorOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

// FAULTS SEC-10: a password from the URL or the options never shows in any error.
describe('secrets', () => {
  it('never puts the password, raw or %-encoded, in any error', async () => {
    const server = await startSftpServer({ password });
    const signal = new AbortController().signal;
    const context = { signal, connectTimeoutMs: 5_000 };
    await server.putFile('/file.bin', Buffer.alloc(100_000, 1));
    const pinned = createSftpAdapter({ hostKey: server.hostKey.fingerprint, password });
    const withUrlPassword = (path: string) => new URL(server.url(path));
    const userOnly = new URL(`sftp://${server.username}@${server.host}:${server.port}/file.bin`);
    const closedPort = await (async () => {
      const probe = createServer().listen(0, '127.0.0.1');
      await once(probe, 'listening');
      const { port } = probe.address() as AddressInfo;
      await new Promise((resolve) => probe.close(resolve));
      return port;
    })();

    const errors: unknown[] = [];
    errors.push(await errorOf(() => pinned.open(new URL(server.unauthorizedUrl('/file.bin')), context)));
    errors.push(
      await errorOf(() =>
        createSftpAdapter({ hostKey: `SHA256:${'B'.repeat(43)}` }).open(
          withUrlPassword('/file.bin'),
          context,
        ),
      ),
    );
    errors.push(
      await errorOf(() =>
        pinned.open(new URL(`sftp://u:${encodeURIComponent(password)}@127.0.0.1:${closedPort}/f`), context),
      ),
    );
    errors.push(
      await errorOf(() =>
        pinned.open(new URL(`sftp://u:${encodeURIComponent(password)}%ZZ@host/f`), context),
      ),
    );
    let remote: Remote = await pinned.open(withUrlPassword('/missing.bin'), context);
    errors.push(await errorOf(() => remote.stat(signal)));
    await remote.close();
    remote = await pinned.open(userOnly, context);
    server.setFaults({ dropAfterBytes: 5_000 });
    errors.push(
      await errorOf(async () => {
        for await (const _ of (await remote.read({ start: 0, signal })).body);
      }),
    );
    await remote.close();
    await server.close();

    expect(errors.every((error) => isRegetError(error))).toBe(true);
    for (const error of errors) {
      const text = everyText(error);
      expect(text).not.toContain(password);
      expect(text).not.toContain(encodeURIComponent(password));
      expect(text).not.toContain('Sw0rdf1sh');
    }
  });
});

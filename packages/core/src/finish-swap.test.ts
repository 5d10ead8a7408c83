import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryServer, failureOf, makeContent } from '@reget/testkit';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { download } from './download.js';
import { ErrorCode } from './errors.js';
import { PartialFile } from './partial.js';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'reget-finish-swap-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(directory, { recursive: true, force: true });
});

/** Right after the partial's descriptor closes (before the rename), `impostor` takes its name. */
function swapInAfterClose(partial: string, impostor: Uint8Array): void {
  const close = PartialFile.prototype.close;
  vi.spyOn(PartialFile.prototype, 'close').mockImplementation(async function (this: PartialFile) {
    await close.call(this);
    await writeFile(`${partial}.impostor`, impostor);
    await rename(`${partial}.impostor`, partial);
  });
}

it('never moves into place a file swapped in for the verified partial (renamed by path)', async () => {
  const content = makeContent(200_000, 41);
  const server = createMemoryServer();
  await server.putFile('/file.bin', content);
  const destination = join(directory, 'file.bin');
  const partial = `${destination}.part`;
  const impostor = new Uint8Array(content.length).fill(0x41);
  swapInAfterClose(partial, impostor);
  const error = await failureOf(
    download({ url: server.url('/file.bin'), destination, adapters: [server.adapter], retries: 0 }),
  );
  expect(error.code).toBe(ErrorCode.LOCAL_IO);
  expect(error.message).toContain('replaced by another file');
  expect(existsSync(destination)).toBe(false);
  // Nothing deleted either: the file under the partial's name is left for the user to look at.
  expect(Buffer.compare(await readFile(partial), impostor)).toBe(0);
});

it('with continue, never moves a swapped-in file back under the destination either', async () => {
  const content = makeContent(200_000, 42);
  const server = createMemoryServer();
  await server.putFile('/file.bin', content);
  const destination = join(directory, 'continued.bin');
  const partial = `${destination}.part`;
  // The user's finished copy, continued: nothing is fetched, and it would go back under its name.
  await writeFile(destination, content);
  const impostor = new Uint8Array(content.length).fill(0x42);
  swapInAfterClose(partial, impostor);
  const error = await failureOf(
    download({
      url: server.url('/file.bin'),
      destination,
      adapters: [server.adapter],
      retries: 0,
      ifExists: 'continue',
    }),
  );
  expect(error.code).toBe(ErrorCode.LOCAL_IO);
  expect(existsSync(destination)).toBe(false);
  expect(Buffer.compare(await readFile(partial), impostor)).toBe(0);
});

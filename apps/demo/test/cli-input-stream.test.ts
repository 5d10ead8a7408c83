import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, linesOf, startCli } from './cli-process.js';
import { type HttpFixture, startHttpFixture } from './http-fixture.js';

// Nothing listens on port 1 of loopback: each of these downloads fails at once (exit 4).
const refused = (index: number) => `http://127.0.0.1:1/f${index}.bin`;
const refusedLine = (index: number) => new RegExp(`f${index}\\.bin: Cannot connect`);

let fixture: HttpFixture;
beforeAll(async () => {
  [fixture] = await Promise.all([startHttpFixture(), buildCli()]);
}, 120_000);
afterAll(() => fixture?.close());

/** Writes `text` to the pipe, waiting while the pipe is full (the reader sets the pace). */
async function write(stdin: Writable, text: string): Promise<void> {
  if (!stdin.write(text)) await once(stdin, 'drain');
}

function lines(from: number, to: number): string {
  let text = '';
  for (let index = from; index < to; index++) text += `${refused(index)}\n`;
  return text;
}

describe('-i reads its list as a stream', () => {
  it('starts downloading a list of 100,000 lines before the list has ended', async () => {
    const directory = await fixture.newDirectory();
    const running = startCli(['-q', '--retries', '0', '-j', '4', '-d', directory, '-i', '-'], {
      isStdinOpen: true,
    });
    // The first 1,500 lines, and the list stays open: a command that read the whole list before
    // starting would wait here for ever.
    await write(running.child.stdin!, lines(0, 1_500));
    await running.waitForOutput(refusedLine(0));
    // The rest, 98,500 lines, queued here: the command reads them at its own pace, a few ahead of
    // the downloads, and is stopped long before it gets to the end.
    running.child.stdin!.on('error', () => undefined);
    running.child.stdin!.end(lines(1_500, 100_000));
    // A file past the lines checked first has been downloaded (the list is planned as it is read);
    // then Ctrl-C: the command stops without reading the rest through.
    await running.waitForOutput(refusedLine(1_600));
    running.child.kill('SIGINT');
    const result = await running.exited;
    expect(result.code).toBe(130);
    const failures = linesOf(result.stderr).filter((line) => line.includes('Cannot connect'));
    expect(failures.length).toBeGreaterThan(1_600);
    expect(failures.length).toBeLessThan(100_000);
  }, 120_000);

  it('past the lines checked first, a bad line fails alone and the list goes on', async () => {
    const directory = await fixture.newDirectory();
    const running = startCli(['-q', '--retries', '0', '-j', '4', '-d', directory, '-i', '-'], {
      isStdinOpen: true,
    });
    // Line 1,021 is bad and line 1,022 names the same file as line 1: each fails alone (exit 2).
    await write(
      running.child.stdin!,
      `${lines(0, 1_020)}not a url\n${refused(0)}\n${fixture.server.url('/nothing-here.bin')}\n${lines(1_020, 1_030)}`,
    );
    running.child.stdin!.end();
    const result = await running.exited;
    const output = linesOf(result.stderr);
    expect(output.filter((line) => /^reget: -:1021: /.test(line))).toHaveLength(1);
    expect(output.filter((line) => /^reget: -:1022: .*would be saved as/.test(line))).toHaveLength(1);
    expect(output.filter((line) => /nothing-here\.bin: .*404/.test(line))).toHaveLength(1);
    // Every other line was downloaded (and failed, as nothing listens there).
    expect(output.filter((line) => line.includes('Cannot connect'))).toHaveLength(1_030);
    // The worst of refused (4), bad input (2) and not found (7).
    expect(result.code).toBe(7);
  }, 120_000);
});

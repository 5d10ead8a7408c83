import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { ErrorCode, RegetError } from '@reget/core';

/**
 * Where a password comes from when the URL carries none: the REGET_PASSWORD environment variable or
 * a prompt (`--password-prompt`) that does not echo. Never from an option: argv is visible to every
 * user of the machine (FAULTS SEC-10).
 */

/** The environment variable read for a password. */
export const passwordVariable = 'REGET_PASSWORD';
/** The environment variable read for the passphrase of an `--identity` key. */
export const passphraseVariable = 'REGET_KEY_PASSPHRASE';

/** Streams the prompt talks through. */
export interface PromptStreams {
  readonly input: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly output: NodeJS.WritableStream;
}

/**
 * Asks for a password on `output` and reads one line from `input` without echoing it. When `input`
 * is not a terminal, the first line is read as it is (so `printf 'pw\n' | reget --password-prompt …`
 * works). Throws ABORTED on Ctrl-C and BAD_INPUT when input ends without a line.
 */
export function promptPassword(question: string, streams: PromptStreams): Promise<string> {
  const isTerminal = streams.input.isTTY === true;
  return new Promise((resolve, reject) => {
    let isMuted = false;
    const sink = new Writable({
      write(chunk, _encoding, done) {
        if (!isMuted) streams.output.write(chunk);
        done();
      },
    });
    const reader = createInterface({ input: streams.input, output: sink, terminal: isTerminal });
    const finish = (outcome: () => void) => {
      reader.removeAllListeners('close');
      reader.close();
      if (isTerminal) streams.output.write('\n');
      outcome();
    };
    reader.question(question, (answer) => finish(() => resolve(answer)));
    // Typed characters are echoed through the sink; muting it after the question hides them.
    isMuted = true;
    reader.on('SIGINT', () =>
      finish(() => reject(new RegetError(ErrorCode.ABORTED, 'Interrupted at the password prompt.'))),
    );
    reader.on('close', () =>
      finish(() => reject(new RegetError(ErrorCode.BAD_INPUT, 'No password was given at the prompt.'))),
    );
  });
}

/**
 * `url` with `password` filled in when the URL names a user but carries no password; otherwise
 * `url` unchanged. The URL keeps the password percent-encoded, as URLs do.
 */
export function withPassword(url: URL, password: string | undefined): URL {
  if (password === undefined || url.username === '' || url.password !== '') return url;
  const copy = new URL(url.href);
  copy.password = encodeURIComponent(password);
  return copy;
}

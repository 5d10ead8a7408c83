import { stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { ErrorCode, fileNameFromUrl, RegetError, safeFileName } from '@reget/core';

/**
 * Where each download is saved. The default name is the URL's last path segment, decoded and made
 * safe by core's `safeFileName`; a server-suggested name is used only when asked for
 * (`--content-disposition`). Either way the file stays inside the target directory (FAULTS SEC-01).
 */

/** The name used when the URL ends in `/` or its last segment has nothing safe left. */
export function fallbackFileName(url: URL): string {
  return url.protocol === 'http:' || url.protocol === 'https:' ? 'index.html' : 'download';
}

/**
 * The file name for `url`: the server's suggestion when given and safe, else the URL's last path
 * segment, else {@link fallbackFileName}. Never contains a separator, never `.` or `..`.
 */
export function outputFileName(url: URL, serverSuggestion?: string): string {
  const suggested = serverSuggestion === undefined ? undefined : safeFileName(serverSuggestion);
  return suggested ?? fileNameFromUrl(url) ?? fallbackFileName(url);
}

/**
 * The absolute destination of a safe `name` inside `directory`. Throws BAD_INPUT if the result would
 * leave the directory, which a name from {@link outputFileName} never does: this is the last guard.
 */
export function placeInDirectory(directory: string, name: string): string {
  const base = resolve(directory);
  const destination = resolve(base, name);
  const inside = relative(base, destination);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
    throw new RegetError(ErrorCode.BAD_INPUT, `The file name "${name}" would be saved outside ${base}.`);
  }
  return destination;
}

/** The destination for `-o file`: relative paths are taken inside `-d dir` when one is given. */
export function explicitDestination(output: string, directory: string | undefined): string {
  return resolve(directory ?? '.', output);
}

/**
 * Throws BAD_INPUT when `-o` names a directory (`-o .`, `-o downloads/`): that is what `-d` is for,
 * and reget would otherwise fail later with a confusing local error.
 */
export async function assertOutputIsNotDirectory(
  output: string,
  directory: string | undefined,
): Promise<void> {
  const isDirectory =
    /[/\\]$/.test(output) ||
    (await stat(explicitDestination(output, directory)).then(
      (info) => info.isDirectory(),
      () => false,
    ));
  if (isDirectory) {
    throw new RegetError(
      ErrorCode.BAD_INPUT,
      `-o ${output} is a directory; use -d ${output} to save into it.`,
    );
  }
}

/**
 * Throws BAD_INPUT when two downloads would write the same file (they would fight over one partial),
 * naming both URLs as given.
 */
export function assertDistinctDestinations(
  entries: readonly { readonly destination: string; readonly displayUrl: string }[],
): void {
  const seen = new Map<string, string>();
  for (const { destination, displayUrl } of entries) {
    const earlier = seen.get(destination);
    if (earlier !== undefined) {
      throw new RegetError(
        ErrorCode.BAD_INPUT,
        `${earlier} and ${displayUrl} would both be saved as ${destination}; download them in separate runs, each into its own directory (-d).`,
      );
    }
    seen.set(destination, displayUrl);
  }
}

/**
 * Checks that `directory` exists and is a directory, before any byte is fetched (FAULTS LOC-02:
 * reget does not create directories). Throws LOCAL_IO.
 */
export async function assertOutputDirectory(directory: string): Promise<void> {
  const info = await stat(directory).catch(() => undefined);
  if (!info) {
    throw new RegetError(ErrorCode.LOCAL_IO, `The output directory ${resolve(directory)} does not exist.`);
  }
  if (!info.isDirectory()) {
    throw new RegetError(
      ErrorCode.LOCAL_IO,
      `The output directory ${resolve(directory)} is not a directory.`,
    );
  }
}

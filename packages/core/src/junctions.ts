import { ErrorCode, RegetError } from './errors.js';
import { ByteRanges } from './ranges.js';
import type { Source } from './sources.js';
import { maxSourceFailures } from './sources.js';
import { abortable, Watchdog } from './timeout.js';
import { dropSource, RestartNeeded, SourceFault, type WorkerContext } from './worker.js';

/** Bytes compared on each side of a junction at least, whatever `overlapBytes` says. */
const minimumWindow = 1024;

/** A run of bytes on disk and who wrote it: a source of this call, or an earlier run (`undefined`). */
interface Run {
  readonly start: number;
  readonly end: number;
  readonly source: Source | undefined;
}

/** Where one source's bytes meet another's (or an earlier run's). */
interface Junction {
  readonly at: number;
  readonly left: Run;
  readonly right: Run;
}

/**
 * Where no hash vouches for the bytes, ranges written by different sources are compared where they
 * meet: a window across each junction is read again from one side's source (or, when it is gone,
 * from another) and compared with the disk. Where they disagree, a third source decides when there
 * is one, otherwise the earlier listed source wins (the URL first, then the bytes of an earlier run,
 * then the mirrors in order). A losing mirror is dropped and every byte it wrote in this call goes
 * back to be fetched from the others (returns false); losing bytes of an earlier run mean the file
 * changed (a restart). Returns true when every junction agrees.
 */
export async function crossCheckJunctions(
  context: WorkerContext,
  overlapBytes: number,
  signal: AbortSignal,
): Promise<boolean> {
  const width = Math.max(minimumWindow, overlapBytes);
  for (const junction of junctions(context)) {
    const loser = await checkJunction(context, junction, width, signal);
    if (loser === 'none') continue;
    // A source refused the window and was dropped: check again with the sources left.
    if (loser === 'again') return false;
    if (loser === undefined) throw new RestartNeeded('remote changed');
    await dropSource(
      context,
      loser,
      new SourceFault(`its bytes disagree with the other sources near offset ${junction.at}`, true),
    );
    return false;
  }
  return true;
}

function junctions(context: WorkerContext): Junction[] {
  const { session, sources } = context;
  const runs: Run[] = [];
  const earlier = new ByteRanges(session.ranges.toArray());
  for (const source of sources.all) {
    const written = source.served.intersection(session.ranges);
    for (const [start, end] of written.toArray()) {
      runs.push({ start, end, source });
      earlier.remove(start, end);
    }
  }
  for (const [start, end] of earlier.toArray()) runs.push({ start, end, source: undefined });
  runs.sort((a, b) => a.start - b.start);
  const found: Junction[] = [];
  for (let index = 1; index < runs.length; index += 1) {
    const left = runs[index - 1]!;
    const right = runs[index]!;
    if (left.end === right.start && left.source !== right.source) found.push({ at: left.end, left, right });
  }
  return found;
}

/** Rank for a disagreement without a third opinion: lower wins. */
function rank(source: Source | undefined): number {
  if (source === undefined) return 0.5;
  return source.index;
}

/**
 * Reads the window across one junction from a source that wrote one side (or any live one) and
 * compares it with the disk. Returns 'none' when all agree, else the side that loses.
 */
async function checkJunction(
  context: WorkerContext,
  junction: Junction,
  width: number,
  signal: AbortSignal,
): Promise<Source | undefined | 'none' | 'again'> {
  const { session, sources } = context;
  const start = Math.max(junction.left.start, junction.at - width);
  const end = Math.min(junction.right.end, junction.at + width);
  const live = sources.live();
  const readers = [junction.left.source, junction.right.source, ...live].filter(
    (source, index, all): source is Source => source?.isLive === true && all.indexOf(source) === index,
  );
  if (readers.length === 0) return 'none';
  const disk = await session.readAt(start, end - start);
  const { reader, bytes: remote } = await readFromAny(context, readers, start, end, signal);
  if (remote === undefined) return 'again';
  const differsAt = firstDifference(disk, remote);
  if (differsAt === undefined) return 'none';
  // Which side of the junction the reader contradicts.
  const other = start + differsAt < junction.at ? junction.left.source : junction.right.source;
  const contested = start + differsAt < junction.at ? junction.left : junction.right;
  if (other === reader) return 'none';
  const arbiter = live.find((source) => source !== reader && source !== other);
  if (arbiter) {
    const [from, to] = [Math.max(start, contested.start), Math.min(end, contested.end)];
    const third = await readWindow(context, arbiter, from, to, signal).catch(() => null);
    // The arbiter failed: no third opinion this time, the order of the list decides.
    if (third === undefined) return 'again';
    if (third === null) return rank(reader) < rank(other) ? other : reader;
    const onDisk = disk.subarray(from - start, to - start);
    const byReader = remote.subarray(from - start, to - start);
    if (firstDifference(third, onDisk) === undefined) return reader;
    if (firstDifference(third, byReader) === undefined) return other;
  }
  return rank(reader) < rank(other) ? other : reader;
}

/**
 * The window from the first of `readers` that serves it; one that fails counts a failure against
 * it and the next is asked. Throws the last failure when none could.
 */
async function readFromAny(
  context: WorkerContext,
  readers: readonly Source[],
  start: number,
  end: number,
  signal: AbortSignal,
): Promise<{ reader: Source; bytes: Uint8Array | undefined }> {
  let failure: unknown;
  for (const reader of readers) {
    try {
      return { reader, bytes: await readWindow(context, reader, start, end, signal) };
    } catch (error) {
      if (signal.aborted) throw error;
      failure = error;
      reader.failures += 1;
      if (reader.failures >= maxSourceFailures) {
        const message = error instanceof Error ? error.message : String(error);
        context.sources.drop(reader, `it failed ${reader.failures} times in a row (${message})`);
      }
    }
  }
  throw failure;
}

function firstDifference(a: Uint8Array, b: Uint8Array): number | undefined {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index += 1) if (a[index] !== b[index]) return index;
  return a.length === b.length ? undefined : length;
}

/**
 * `[start, end)` from one source, whole; undefined when the source refused it (then dropped).
 * Other failures are thrown: the attempt is retried and checks again.
 */
async function readWindow(
  context: WorkerContext,
  source: Source,
  start: number,
  end: number,
  signal: AbortSignal,
): Promise<Uint8Array | undefined> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const watchdog = new Watchdog(context.idleTimeoutMs, controller, source.host);
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    const response = await abortable(
      source.remote!.read({ start, end, validator: undefined, signal: controller.signal }),
      controller.signal,
    );
    if (response.isUnsatisfiable || response.start !== start) {
      response.body[Symbol.asyncIterator]()
        .return?.()
        ?.catch(() => undefined);
      context.sources.drop(source, 'it refused a range inside the file');
      return undefined;
    }
    let position = response.start;
    const iterator = response.body[Symbol.asyncIterator]();
    try {
      while (position < end) {
        const next = await abortable(iterator.next(), controller.signal);
        if (next.done) break;
        watchdog.touch();
        const chunk = next.value;
        const from = Math.max(0, start - position);
        const to = Math.min(chunk.length, end - position);
        if (to > from) {
          chunks.push(chunk.subarray(from, to));
          length += to - from;
        }
        position += chunk.length;
      }
    } finally {
      // Bytes past the window are not wanted: the body is released, whatever it says about them.
      iterator.return?.()?.catch(() => undefined);
    }
    if (position < end) {
      throw new RegetError(ErrorCode.PARTIAL, `The window ended at offset ${position} of ${end}.`);
    }
  } finally {
    watchdog.stop();
    signal.removeEventListener('abort', onAbort);
  }
  return Buffer.concat(chunks, length);
}

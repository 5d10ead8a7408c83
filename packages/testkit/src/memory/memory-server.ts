import {
  type Adapter,
  ErrorCode,
  type ReadRequest,
  type ReadResponse,
  RegetError,
  type Remote,
  type RemoteStat,
  type Validator,
} from '@reget/core';
import type { ConformanceServer, ServerFaults } from '../conformance/target.js';

/** How the memory server identifies versions of a file. */
export type MemoryValidatorMode = 'strong' | 'weak' | 'none';

/** Faults only the memory server can script, on top of {@link ServerFaults}. */
export interface MemoryFaults extends ServerFaults {
  /** Answer ranged reads from this many bytes earlier (a block-aligned cache) or later (a gap). */
  readonly shiftStart?: number | undefined;
  /** Errors thrown by the next reads, one per read, before the server behaves again. */
  readonly readErrors?: readonly RegetError[] | undefined;
  /** Send at most this many bytes per read, then end cleanly (an honest short 206). */
  readonly sliceBytes?: number | undefined;
  /** Send this many extra bytes past the end of the file. */
  readonly extraBytes?: number | undefined;
  /** stat() reports no size. */
  readonly hideSize?: boolean | undefined;
}

interface MemoryFile {
  content: Uint8Array;
  version: number;
}

/** Options for {@link createMemoryServer}. */
export interface MemoryServerOptions {
  /** How versions are identified. Default `'strong'`. */
  readonly validator?: MemoryValidatorMode | undefined;
  /** Bytes per chunk of a body. Default 16 KiB. */
  readonly chunkBytes?: number | undefined;
  /**
   * Refuse the user `wrong` (AUTH), and give {@link ConformanceServer.unauthorizedUrl} a URL with
   * it. Default true; false is a server that takes any credentials.
   */
  readonly authenticates?: boolean | undefined;
}

/** A memory server and the adapter (scheme `mem`) that reads from it. */
export interface MemoryServer extends ConformanceServer {
  setFaults(faults: MemoryFaults): void;
  /** Reads served since the last reset (each is one request a real server would see). */
  readonly reads: ReadRequest[];
}

/**
 * A scriptable in-memory remote for core's own tests: files live in a map, reads honour ranges,
 * and faults (drops, stalls, ignored ranges, shifted starts, errors) are switched on per test.
 */
export function createMemoryServer(options: MemoryServerOptions = {}): MemoryServer {
  const files = new Map<string, MemoryFile>();
  const mode = options.validator ?? 'strong';
  const chunkBytes = options.chunkBytes ?? 16 * 1024;
  const authenticates = options.authenticates ?? true;
  let faults: MemoryFaults = {};
  let drops = 0;
  let errorIndex = 0;
  let sent = 0;
  const reads: ReadRequest[] = [];
  const starts: number[] = [];

  const validatorOf = (file: MemoryFile): Validator | undefined =>
    mode === 'none' ? undefined : { value: `mem:${file.version}`, isStrong: mode === 'strong' };

  const lookup = (url: URL): MemoryFile => {
    if (authenticates && url.username === 'wrong')
      throw new RegetError(ErrorCode.AUTH, 'Login refused.', { retryable: false });
    const file = files.get(decodeURIComponent(url.pathname));
    if (!file)
      throw new RegetError(ErrorCode.NOT_FOUND, `No such file: ${url.pathname}.`, { retryable: false });
    return file;
  };

  async function* body(
    file: MemoryFile,
    start: number,
    end: number,
    signal: AbortSignal,
  ): AsyncGenerator<Uint8Array> {
    const shouldDrop =
      faults.dropAfterBytes !== undefined && (faults.dropTimes === undefined || drops < faults.dropTimes);
    if (shouldDrop) drops += 1;
    let sentHere = 0;
    for (let position = start; position < end; ) {
      if (signal.aborted) throw signal.reason;
      if (faults.stallAfterBytes !== undefined && sentHere >= faults.stallAfterBytes) {
        await new Promise((_, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
        );
      }
      let size = Math.min(chunkBytes, end - position);
      if (shouldDrop) size = Math.min(size, faults.dropAfterBytes! - sentHere);
      if (size <= 0) throw new RegetError(ErrorCode.PARTIAL, 'Connection reset by the memory server.');
      const chunk =
        position >= file.content.length
          ? new Uint8Array(size).fill(0x58)
          : file.content.slice(position, position + size);
      sent += chunk.length;
      sentHere += chunk.length;
      position += chunk.length;
      await Promise.resolve();
      yield chunk;
    }
  }

  const remote = (url: URL): Remote => ({
    async stat(): Promise<RemoteStat> {
      const file = lookup(url);
      return {
        size: faults.hideSize ? undefined : file.content.length,
        validator: validatorOf(file),
        acceptsRanges: !faults.refuseRange,
        url: `mem://${url.host}${url.pathname}`,
      };
    },
    async read(request: ReadRequest): Promise<ReadResponse> {
      reads.push(request);
      const scripted = faults.readErrors?.[errorIndex];
      if (scripted) {
        errorIndex += 1;
        throw scripted;
      }
      const file = lookup(url);
      const size = file.content.length;
      if (request.start > 0 && faults.refuseRange) {
        throw new RegetError(ErrorCode.RANGE_NOT_SUPPORTED, 'Ranges refused.', { retryable: false });
      }
      // If-Range: a stale strong validator gets the whole current file.
      const isStale = request.validator !== undefined && request.validator.value !== validatorOf(file)?.value;
      const isWhole = faults.ignoreRange || isStale;
      let start = isWhole ? 0 : request.start + (request.start > 0 ? (faults.shiftStart ?? 0) : 0);
      start = Math.max(0, start);
      if (start >= size && size > 0 && !isWhole) {
        return {
          start: request.start,
          end: request.start,
          total: size,
          validator: validatorOf(file),
          isUnsatisfiable: true,
          body: (async function* () {})(),
        };
      }
      let end = isWhole ? size : Math.min(size, request.end ?? size);
      if (faults.sliceBytes !== undefined) end = Math.min(end, start + faults.sliceBytes);
      const served = end + (faults.extraBytes ?? 0);
      starts.push(start);
      return {
        start,
        end,
        total: size,
        validator: validatorOf(file),
        body: body(file, start, served, request.signal),
      };
    },
    async close() {},
  });

  const adapter: Adapter = {
    name: 'memory',
    schemes: ['mem'],
    capabilities: { ranges: true, segments: true },
    async open(url: URL) {
      return remote(url);
    },
  };

  return {
    adapter,
    reads,
    url: (path) => `mem://memory${path}`,
    unauthorizedUrl: (path) => (authenticates ? `mem://wrong:secret@memory${path}` : undefined),
    async putFile(path, content) {
      const previous = files.get(path);
      files.set(path, { content: new Uint8Array(content), version: (previous?.version ?? 0) + 1 });
    },
    setFaults(next) {
      faults = next;
      drops = 0;
      errorIndex = 0;
    },
    bytesSent: () => sent,
    transferStarts: () => [...starts],
    resetCounters() {
      sent = 0;
      reads.length = 0;
      starts.length = 0;
    },
    async close() {},
  };
}

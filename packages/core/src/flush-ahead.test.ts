import { describe, expect, it } from 'vitest';
import { FlushAhead, flushAheadBytes } from './flush-ahead.js';

/** A flush that records each call and settles only when told to. */
function controlledFlush() {
  const calls: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  const flush = () =>
    new Promise<void>((resolve, reject) => {
      calls.push({ resolve, reject });
    });
  return { calls, flush };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('FlushAhead', () => {
  it('starts a background flush once 16 MiB wait, not before', () => {
    const { calls, flush } = controlledFlush();
    const flusher = new FlushAhead(flush);
    flusher.wrote(flushAheadBytes - 1);
    expect(calls).toHaveLength(0);
    flusher.wrote(1);
    expect(calls).toHaveLength(1);
  });

  it('runs one background flush at a time and counts from the start of the last one', async () => {
    const { calls, flush } = controlledFlush();
    const flusher = new FlushAhead(flush);
    flusher.wrote(flushAheadBytes);
    flusher.wrote(flushAheadBytes);
    expect(calls).toHaveLength(1);
    calls[0]?.resolve();
    await tick();
    // The bytes written while it ran are still unflushed: the next write starts another flush.
    flusher.wrote(1);
    expect(calls).toHaveLength(2);
  });

  it('flush() waits for a running background flush, then flushes again', async () => {
    const { calls, flush } = controlledFlush();
    const flusher = new FlushAhead(flush);
    flusher.wrote(flushAheadBytes);
    let isDone = false;
    const flushed = flusher.flush().then(() => {
      isDone = true;
    });
    await tick();
    expect(calls).toHaveLength(1);
    calls[0]?.resolve();
    await tick();
    expect(calls).toHaveLength(2);
    expect(isDone).toBe(false);
    calls[1]?.resolve();
    await flushed;
    expect(isDone).toBe(true);
  });

  it('starts no background flush while an awaited one runs (only one flush would hear an error)', async () => {
    const { calls, flush } = controlledFlush();
    const flusher = new FlushAhead(flush);
    const flushed = flusher.flush();
    expect(calls).toHaveLength(1);
    flusher.wrote(flushAheadBytes);
    expect(calls).toHaveLength(1);
    calls[0]?.resolve();
    await flushed;
    flusher.wrote(1);
    expect(calls).toHaveLength(2);
  });

  it('runs two awaited flushes one after the other', async () => {
    const { calls, flush } = controlledFlush();
    const flusher = new FlushAhead(flush);
    const first = flusher.flush();
    const second = flusher.flush();
    await tick();
    expect(calls).toHaveLength(1);
    calls[0]?.resolve();
    await first;
    await tick();
    expect(calls).toHaveLength(2);
    calls[1]?.resolve();
    await second;
  });

  it('keeps a failed background flush: later flushes fail though the device would now say yes', async () => {
    const { calls, flush } = controlledFlush();
    const flusher = new FlushAhead(flush);
    const failure = new Error('EIO: write-back failed');
    flusher.wrote(flushAheadBytes);
    calls[0]?.reject(failure);
    await flusher.settle();
    await expect(flusher.flush()).rejects.toBe(failure);
    await expect(flusher.flush()).rejects.toBe(failure);
    // Nothing was asked of the device after the failure: its next answer cannot hide it.
    expect(calls).toHaveLength(1);
    flusher.wrote(flushAheadBytes);
    expect(calls).toHaveLength(1);
  });

  it('keeps a failed awaited flush too', async () => {
    let count = 0;
    const failure = new Error('EIO');
    const flusher = new FlushAhead(async () => {
      count += 1;
      if (count === 1) throw failure;
    });
    await expect(flusher.flush()).rejects.toBe(failure);
    await expect(flusher.flush()).rejects.toBe(failure);
    expect(count).toBe(1);
  });

  it('settle() never throws, so closing the file is not stopped by a failed flush', async () => {
    const flusher = new FlushAhead(async () => {
      throw new Error('EIO');
    });
    flusher.wrote(flushAheadBytes);
    await expect(flusher.settle()).resolves.toBeUndefined();
  });
});

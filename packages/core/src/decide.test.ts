import { describe, expect, it } from 'vitest';
import type { RemoteStat, Validator } from './contract.js';
import { decide, type LocalState } from './decide.js';
import type { Journal } from './journal.js';
import type { ByteRange } from './ranges.js';

const url = 'mem://memory/file.bin';
const strong: Validator = { value: 'etag:"v1"', isStrong: true };
const weak: Validator = { value: 'mdtm:20260101', isStrong: false };
const changed: Validator = { value: 'etag:"v2"', isStrong: true };

function stat(
  size: number | undefined,
  validator: Validator | undefined,
  acceptsRanges?: boolean,
): RemoteStat {
  return { size, validator, acceptsRanges: acceptsRanges ?? true, url };
}

function journal(
  ranges: ByteRange[],
  validator: Validator | undefined,
  total: number | null = 1000,
  journalUrl = url,
): Journal {
  return { version: 1, url: journalUrl, total: total ?? undefined, validator, ranges };
}

function local(partialSize: number | undefined, onDisk?: Journal): LocalState {
  return { journal: onDisk, partialSize, url };
}

describe('decide', () => {
  it('starts fresh when there is no partial, or an empty one, whatever the journal says', () => {
    expect(decide(stat(1000, strong), local(undefined), false)).toMatchObject({
      action: 'fresh',
      total: 1000,
    });
    const claims = journal([[0, 500]], strong);
    expect(decide(stat(1000, strong), local(0, claims), false)).toMatchObject({ action: 'fresh' });
    expect(decide(stat(undefined, undefined), local(0), true)).toMatchObject({
      action: 'fresh',
      total: undefined,
    });
  });

  it('trusts claims never flushed (durable: false) only in the boot that wrote them', () => {
    const unflushed = { ...journal([[0, 500]], strong), unflushedBoot: 'boot-a' };
    const sameBoot = { ...local(500, unflushed), boot: 'boot-a' };
    expect(decide(stat(1000, strong), sameBoot, false)).toMatchObject({ action: 'resume' });
    const rebooted = { ...local(500, unflushed), boot: 'boot-b' };
    expect(decide(stat(1000, strong), rebooted, false)).toMatchObject({
      action: 'restart',
      reason: 'unflushed before a reboot',
    });
  });

  it('restarts when asked to and there is something on disk', () => {
    expect(decide(stat(1000, strong), local(500, journal([[0, 500]], strong)), true)).toMatchObject({
      action: 'restart',
      reason: 'restart requested',
    });
  });

  it('resumes from the journal without verification under a strong validator', () => {
    const decision = decide(stat(1000, strong), local(500, journal([[0, 500]], strong)), false);
    expect(decision).toMatchObject({ action: 'resume', total: 1000, ranges: [[0, 500]], mustVerify: false });
  });

  it('verifies before resuming under a weak validator or none', () => {
    expect(decide(stat(1000, weak), local(500, journal([[0, 500]], weak)), false)).toMatchObject({
      action: 'resume',
      mustVerify: true,
    });
    expect(decide(stat(1000, undefined), local(500, journal([[0, 500]], undefined)), false)).toMatchObject({
      action: 'resume',
      mustVerify: true,
      total: 1000,
    });
  });

  it('trusts the file length for a tail the journal does not claim yet (kill -9), and verifies it', () => {
    const decision = decide(stat(1000, strong), local(700, journal([[0, 500]], strong)), false);
    expect(decision).toMatchObject({ action: 'resume', ranges: [[0, 700]], mustVerify: true });
  });

  it('marks bytes no trusted journal claims as unverified', () => {
    expect(decide(stat(1000, strong), local(700, journal([[0, 500]], strong)), false)).toMatchObject({
      unverified: [500, 700],
    });
    expect(decide(stat(1000, strong), local(700), false)).toMatchObject({ unverified: [0, 700] });
    const claimed = decide(stat(1000, weak), local(500, journal([[0, 500]], weak)), false);
    expect(claimed).toMatchObject({ action: 'resume' });
    expect(claimed.action === 'resume' && claimed.unverified).toBeUndefined();
  });

  it('takes nothing past the journal after several connections: holes may lie there', () => {
    const segmented: Journal = { ...journal([[0, 100]], strong), isSegmented: true };
    const decision = decide(stat(1000, strong), local(900, segmented), false);
    expect(decision).toMatchObject({ action: 'resume', ranges: [[0, 100]], mustVerify: false });
  });

  it('never takes more from the journal than the file holds', () => {
    const decision = decide(
      stat(1000, strong),
      local(
        300,
        journal(
          [
            [0, 500],
            [600, 900],
          ],
          strong,
        ),
      ),
      false,
    );
    expect(decision).toMatchObject({ action: 'resume', ranges: [[0, 300]], mustVerify: false });
  });

  it('verifies the bytes under a journal of another URL, and restarts when its version differs', () => {
    const foreign = journal([[0, 500]], strong, 1000, 'mem://memory/other.bin');
    expect(decide(stat(1000, strong), local(500, foreign), false)).toMatchObject({
      action: 'resume',
      ranges: [[0, 500]],
      mustVerify: true,
      reason: 'journal written for another URL, verifying',
    });
    expect(decide(stat(1000, changed), local(500, foreign), false)).toMatchObject({
      action: 'restart',
      reason: 'remote changed',
    });
    expect(decide(stat(2000, strong), local(500, foreign), false)).toMatchObject({ action: 'restart' });
    expect(decide(stat(1000, strong), local(500), false)).toMatchObject({
      action: 'resume',
      mustVerify: true,
    });
  });

  it('never takes the length of a segmented partial of another URL for data: its holes stay missing', () => {
    const foreign = {
      ...journal(
        [
          [0, 100],
          [400, 500],
        ],
        strong,
        1000,
        'mem://memory/other.bin',
      ),
      isSegmented: true,
    };
    // 700 bytes long: bytes 100-400 are a hole, and 500-700 were written after the last journal.
    expect(decide(stat(1000, strong), local(700, foreign), false)).toMatchObject({
      action: 'resume',
      ranges: [
        [0, 100],
        [400, 500],
      ],
      mustVerify: true,
    });
  });

  it('with mirrors, a journal of another of its URLs is the same file whatever its validator', () => {
    const foreign = journal([[0, 500]], strong, 1000, 'mem://memory/other.bin');
    const mirrored = { ...local(500, foreign), isMirrored: true };
    expect(decide(stat(1000, changed), mirrored, false)).toMatchObject({
      action: 'resume',
      mustVerify: true,
    });
    expect(decide(stat(2000, changed), mirrored, false)).toMatchObject({ action: 'restart' });
  });

  it('restarts when the validator changed', () => {
    expect(decide(stat(1000, changed), local(500, journal([[0, 500]], strong)), false)).toMatchObject({
      action: 'restart',
      reason: 'remote changed',
    });
    expect(decide(stat(1000, weak), local(500, journal([[0, 500]], strong)), false)).toMatchObject({
      action: 'restart',
      reason: 'remote changed',
    });
  });

  it('restarts when the size changed, even without validators', () => {
    expect(decide(stat(1200, strong), local(500, journal([[0, 500]], strong, 1000)), false)).toMatchObject({
      action: 'restart',
      reason: 'remote changed',
      total: 1200,
    });
    expect(
      decide(stat(999, undefined), local(500, journal([[0, 500]], undefined, 1000)), false),
    ).toMatchObject({
      action: 'restart',
      reason: 'remote changed',
    });
  });

  it('restarts when the partial is larger than the remote', () => {
    expect(decide(stat(400, undefined), local(500), false)).toMatchObject({
      action: 'restart',
      reason: 'local larger than remote',
      total: 400,
    });
    expect(decide(stat(400, strong), local(500, journal([[0, 500]], strong, null)), false)).toMatchObject({
      action: 'restart',
      reason: 'local larger than remote',
    });
  });

  it('takes the total from the journal when the remote hides its size but vouches with a validator', () => {
    expect(
      decide(stat(undefined, strong), local(500, journal([[0, 500]], strong, 1000)), false),
    ).toMatchObject({
      action: 'resume',
      total: 1000,
    });
    expect(
      decide(stat(undefined, undefined), local(500, journal([[0, 500]], strong, 1000)), false),
    ).toMatchObject({ action: 'resume', total: undefined });
    expect(
      decide(stat(undefined, strong), local(1000, journal([[0, 1000]], strong, 1000)), false),
    ).toMatchObject({
      action: 'complete',
      total: 1000,
    });
  });

  it('restarts when the remote does not serve ranges and bytes are missing', () => {
    expect(decide(stat(1000, strong, false), local(500, journal([[0, 500]], strong)), false)).toMatchObject({
      action: 'restart',
      reason: 'ranges not supported',
    });
  });

  it('is complete without any read when a strong validator vouches for every byte', () => {
    const decision = decide(stat(1000, strong, false), local(1000, journal([[0, 1000]], strong)), false);
    expect(decision).toMatchObject({
      action: 'complete',
      total: 1000,
      ranges: [[0, 1000]],
      mustVerify: false,
    });
  });

  it('verifies the tail of a complete partial when no strong validator vouches for it', () => {
    expect(decide(stat(1000, weak), local(1000, journal([[0, 1000]], weak)), false)).toMatchObject({
      action: 'resume',
      mustVerify: true,
      ranges: [[0, 1000]],
    });
    expect(decide(stat(1000, strong), local(1000), false)).toMatchObject({
      action: 'resume',
      mustVerify: true,
    });
  });

  it('resumes a partial of unknown total', () => {
    expect(decide(stat(undefined, undefined), local(500), false)).toMatchObject({
      action: 'resume',
      total: undefined,
      ranges: [[0, 500]],
      mustVerify: true,
    });
  });
});

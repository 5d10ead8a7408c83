import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { watch } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createMemoryServer, failureOf, makeContent, sha256 } from '@reget/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Adapter } from './contract.js';
import { download } from './download.js';
import { ErrorCode, type RegetError } from './errors.js';
import { acquireLock } from './lock.js';

/** Locking (FAULTS LOC-04): one writer per destination; a dead writer's lock is taken over. */

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid!;
}

describe('lock', () => {
  let directory: string;
  let path: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'reget-lock-'));
    path = join(directory, 'file.bin.reget.lock');
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('knows when it lost the lock to another host, and then stops the download before its rename', async () => {
    const lock = await acquireLock(path, { host: 'host-a', leaseMs: 60_000 });
    await lock.assertHeld();
    // Another host took it over while this process was paused past its lease.
    await writeFile(path, `4242 host-b 0123456789ab 60000\n`);
    expect((await failureOf(lock.assertHeld())).code).toBe(ErrorCode.LOCKED);
    await lock.release();
    // Released by its owner only: the other host's lock stays.
    expect(await readFile(path, 'utf8')).toBe(`4242 host-b 0123456789ab 60000\n`);
  });

  it('counts a lease not renewed for two thirds of it as lost, even with its file still in place', async () => {
    const lock = await acquireLock(path, { host: 'host-a', leaseMs: 300 });
    await lock.assertHeld();
    // Renewals every 100 ms keep it; a process that does not run them (paused, renewals failing)
    // must not trust it: here the event loop is blocked past 200 ms.
    const until = performance.now() + 260;
    while (performance.now() < until) {
      // busy: no timer can run
    }
    expect((await failureOf(lock.assertHeld())).code).toBe(ErrorCode.LOCKED);
    await lock.release();
  });

  it('is exclusive while held, mode 0600, and free again once released', async () => {
    const lock = await acquireLock(path);
    expect((await readFile(path, 'utf8')).startsWith(`${process.pid} ${hostname()} `)).toBe(true);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await failureOf(acquireLock(path))).code).toBe(ErrorCode.LOCKED);
    await lock.release();
    expect(await readdir(directory)).toEqual([]);
    await (await acquireLock(path)).release();
  });

  it('lets exactly one of many simultaneous takers win', async () => {
    // The directory's events in the order they happened (inotify keeps it): the temporary files
    // created before the lock itself appeared are the takers that were racing to link it.
    const lockName = basename(path);
    const created: string[] = [];
    let onEvent = () => {};
    const watcher = watch(directory, (type, name) => {
      if (type === 'rename' && name !== null) created.push(name);
      onEvent();
    });
    const racingPerRound: number[] = [];
    try {
      for (let round = 0; round < 200; round++) {
        created.length = 0;
        const takers = await Promise.allSettled(Array.from({ length: 8 }, () => acquireLock(path)));
        const winners = takers.filter((taker) => taker.status === 'fulfilled');
        expect(winners.length, `round ${round}`).toBe(1);
        for (const taker of takers) {
          if (taker.status === 'rejected') expect((taker.reason as RegetError).code).toBe(ErrorCode.LOCKED);
        }
        await (winners[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireLock>>>).value.release();
        // The lock's removal is the round's last event: once it is reported, all of them are.
        const isReported = () => created.filter((name) => name === lockName).length >= 2;
        await new Promise<void>((resolve) => {
          onEvent = () => {
            if (isReported()) resolve();
          };
          onEvent();
        });
        const linked = created.indexOf(lockName);
        racingPerRound.push(new Set(created.slice(0, linked).filter((name) => name.endsWith('.tmp'))).size);
      }
    } finally {
      watcher.close();
    }
    // Really simultaneous: in every round, two takers at least had written their lock and were about
    // to link it when the first link landed (taken one at a time, only the winner's own would be).
    expect(
      Math.min(...racingPerRound),
      `takers racing per round: ${racingPerRound.join(' ')}`,
    ).toBeGreaterThanOrEqual(2);
  });

  it('takes over the lock of a process that died (kill -9)', async () => {
    await writeFile(path, `${await deadPid()} ${hostname()}\n`);
    const lock = await acquireLock(path);
    expect((await readFile(path, 'utf8')).startsWith(`${process.pid} ${hostname()} `)).toBe(true);
    await lock.release();
  });

  it('takes over the lock of a killed process its parent has not reaped yet (a zombie)', async () => {
    // A parent that forks a child which exits at once, and never waits for it: a zombie until the
    // parent ends. (Node reaps its own children, so the parent is python3, which the machine has.)
    const program =
      'import os, time\npid = os.fork()\nif pid == 0:\n    os._exit(0)\nprint(pid, flush=True)\ntime.sleep(30)\n';
    const parent = spawn('python3', ['-c', program], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const [line] = (await once(parent.stdout, 'data')) as [Buffer];
      const pid = Number(line.toString().trim());
      const isZombie = async () => (await readFile(`/proc/${pid}/stat`, 'utf8')).includes(') Z ');
      const deadline = Date.now() + 10_000;
      while (!(await isZombie())) {
        expect(Date.now(), 'the child never became a zombie').toBeLessThan(deadline);
        await new Promise<void>((resolve) => setTimeout(resolve, 10));
      }
      await writeFile(path, `${pid} ${hostname()}\n`);
      const lock = await acquireLock(path);
      expect((await readFile(path, 'utf8')).startsWith(`${process.pid} ${hostname()} `)).toBe(true);
      await lock.release();
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('takes over an empty lock at once: locks are linked into place whole, so no taker is mid-write', async () => {
    await writeFile(path, '');
    await (await acquireLock(path)).release();
  });

  it('releases only its own lock', async () => {
    const held = await acquireLock(path);
    await rm(path);
    await writeFile(path, `${process.pid} ${hostname()} someone-else\n`);
    await held.release();
    expect(await readFile(path, 'utf8')).toContain('someone-else');
  });

  it('never takes over a lock from another host, or one it cannot read', async () => {
    await writeFile(path, `${await deadPid()} some-other-host\n`);
    expect((await failureOf(acquireLock(path))).code).toBe(ErrorCode.LOCKED);
    await writeFile(path, 'not a lock\n');
    expect((await failureOf(acquireLock(path))).code).toBe(ErrorCode.LOCKED);
  });

  describe('across hosts (a directory shared by several machines)', () => {
    /** Waits until the wall clock is past `time` (a lease is a matter of clock time). */
    async function waitUntilPast(time: number): Promise<void> {
      while (Date.now() <= time)
        await new Promise<void>((resolve) => setTimeout(resolve, time - Date.now() + 5));
    }
    const renewedAt = async () => (await stat(path)).mtimeMs;
    const longAgo = new Date(Date.now() - 3_600_000);

    it('keeps two live holders on two hosts apart, for longer than one lease: the holder renews it', async () => {
      const held = await acquireLock(path, { host: 'host-a', leaseMs: 900 });
      const first = await renewedAt();
      const other = await failureOf(acquireLock(path, { host: 'host-b', leaseMs: 900 }));
      expect(other.code).toBe(ErrorCode.LOCKED);
      expect(other.details?.lockHolder).toMatchObject({ pid: process.pid, host: 'host-a' });
      await waitUntilPast(first + 900 + 100);
      expect(await renewedAt()).toBeGreaterThan(first);
      expect((await failureOf(acquireLock(path, { host: 'host-b', leaseMs: 900 }))).code).toBe(
        ErrorCode.LOCKED,
      );
      await held.release();
      expect(await readdir(directory)).toEqual([]);
    });

    it('takes over a lock of another host whose lease expired (a machine that was killed), not before', async () => {
      await writeFile(path, '4242 lost-host 0a1b2c 300\n');
      const written = await renewedAt();
      expect((await failureOf(acquireLock(path, { host: 'host-b' }))).code).toBe(ErrorCode.LOCKED);
      await waitUntilPast(written + 300);
      const lock = await acquireLock(path, { host: 'host-b' });
      expect((await readFile(path, 'utf8')).startsWith(`${process.pid} host-b `)).toBe(true);
      await lock.release();
    });

    it('judges a lock of its own host by the pid: a live holder keeps it even with an expired lease', async () => {
      // A holder paused (Ctrl-Z, a suspended laptop) misses its renewals but is still alive here.
      await writeFile(path, `${process.ppid} ${hostname()} 0a1b2c 1000\n`);
      await utimes(path, longAgo, longAgo);
      expect((await failureOf(acquireLock(path))).code).toBe(ErrorCode.LOCKED);
      await writeFile(path, `${await deadPid()} ${hostname()} 0a1b2c 60000\n`);
      await (await acquireLock(path)).release();
    });

    it('sweeps what killed holders and takers left beside the lock, and only that', async () => {
      const dead = await deadPid();
      const beside = (pid: number, host: string, kind: string) =>
        `${basename(path)}.${pid}.${host}.0a1b2c3d4e5f.${kind}`;
      const swept = [
        beside(dead, hostname(), 'tmp'),
        beside(dead, hostname(), 'stale'),
        beside(4242, 'old.example.org', 'tmp'),
      ];
      const kept = [
        beside(process.ppid, hostname(), 'tmp'),
        beside(4242, 'busy.example.org', 'tmp'),
        'other.bin.reget.lock.1.h.0a1b2c3d4e5f.tmp',
      ];
      for (const name of [...swept, ...kept]) await writeFile(join(directory, name), '');
      await utimes(join(directory, swept[2]!), longAgo, longAgo);
      const lock = await acquireLock(path);
      expect((await readdir(directory)).sort()).toEqual([basename(path), ...kept].sort());
      await lock.release();
    });

    it('refuses a host name that is not one word, and a lease too short to renew', async () => {
      expect((await failureOf(acquireLock(path, { host: 'two words' }))).code).toBe(ErrorCode.BAD_INPUT);
      expect((await failureOf(acquireLock(path, { leaseMs: 0 }))).code).toBe(ErrorCode.BAD_INPUT);
      expect(await readdir(directory)).toEqual([]);
    });

    it('is taken with the host a download names', async () => {
      const server = createMemoryServer();
      await server.putFile('/file.bin', makeContent(10_000, 3));
      const destination = join(directory, 'file.bin');
      const lockPath = `${destination}.reget.lock`;
      await writeFile(lockPath, '4242 host-a 0a1b2c 60000\n');
      const base = { url: server.url('/file.bin'), destination, adapters: [server.adapter], retries: 0 };
      expect((await failureOf(download({ ...base, lockHost: 'host-b' }))).code).toBe(ErrorCode.LOCKED);
      expect(server.reads.length).toBe(0);
      await utimes(lockPath, longAgo, longAgo);
      await download({ ...base, lockHost: 'host-b' });
      expect(await readdir(directory)).toEqual(['file.bin']);
    });
  });

  describe('around a download', () => {
    const content = makeContent(200_000, 71);

    it('fails a second download of the same destination LOCKED while the first completes', async () => {
      const server = createMemoryServer();
      await server.putFile('/file.bin', content);
      let reachRead!: () => void;
      const isReading = new Promise<void>((resolve) => {
        reachRead = resolve;
      });
      let release!: () => void;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      const gated: Adapter = {
        ...server.adapter,
        async open(url, context) {
          const remote = await server.adapter.open(url, context);
          return {
            stat: (signal) => remote.stat(signal),
            async read(request) {
              reachRead();
              await released;
              return remote.read(request);
            },
            close: () => remote.close(),
          };
        },
      };
      const destination = join(directory, 'file.bin');
      const base = { url: server.url('/file.bin'), destination, retries: 0 };
      const first = download({ ...base, adapters: [gated] });
      await isReading;
      const second = await failureOf(download({ ...base, adapters: [server.adapter] }));
      expect(second.code).toBe(ErrorCode.LOCKED);
      expect(server.reads.length).toBe(0);
      release();
      await first;
      expect(sha256(await readFile(destination))).toBe(sha256(content));
      expect(await readdir(directory)).toEqual(['file.bin']);
    });

    it('removes the temporary journals a killed run left, once it holds the lock', async () => {
      const server = createMemoryServer();
      await server.putFile('/file.bin', content);
      const destination = join(directory, 'file.bin');
      await writeFile(`${destination}.reget.0a1b2c3d.tmp`, '{}');
      await writeFile(join(directory, 'other.bin.reget.0a1b2c3d.tmp'), '{}');
      await download({ url: server.url('/file.bin'), destination, adapters: [server.adapter], retries: 0 });
      expect((await readdir(directory)).sort()).toEqual(['file.bin', 'other.bin.reget.0a1b2c3d.tmp']);
    });

    it('takes over a stale lock left at the destination', async () => {
      const server = createMemoryServer();
      await server.putFile('/file.bin', content);
      const destination = join(directory, 'file.bin');
      await writeFile(`${destination}.reget.lock`, `${await deadPid()} ${hostname()}\n`);
      await download({ url: server.url('/file.bin'), destination, adapters: [server.adapter], retries: 0 });
      expect(sha256(await readFile(destination))).toBe(sha256(content));
      expect(await readdir(directory)).toEqual(['file.bin']);
    });
  });
});

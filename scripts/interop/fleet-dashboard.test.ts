import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { enqueueDownloads } from '@reget/bullmq';
import { type HttpTestServer, makeContent, startHttpServer } from '@reget/testkit';
import { Queue } from 'bullmq';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath } from './cli.js';
import { FleetWorker } from './fleet.js';
import { type RedisProcess, startRedis } from './redis.js';

/**
 * `reget dashboard` in a real browser: Debian's chromium (installed by run.sh) driven by
 * playwright-core shows the queue's jobs, and a running job's progress ring moves.
 */

const MiB = 1 << 20;
const browserFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
let redis: RedisProcess;
let http: HttpTestServer;
let directory: string;

beforeAll(async () => {
  redis = await startRedis();
  http = await startHttpServer();
  directory = await mkdtemp(join(tmpdir(), 'reget-dashboard-'));
});

afterAll(async () => {
  await http?.close();
  await redis?.close();
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe('reget dashboard', () => {
  it('lists the jobs, and a running job’s progress moves', async () => {
    const queueName = 'board';
    const names = ['board-0.bin', 'board-1.bin', 'board-2.bin'];
    for (const [index, name] of names.entries())
      await http.putFile(`/${name}`, makeContent(8 * MiB, 70 + index));
    const queue = new Queue(queueName, { connection: redis.connection });
    await enqueueDownloads(
      queue,
      names.map((name) => ({ url: `${http.origin}/${name}`, destination: name })),
    );
    await queue.close();
    const root = join(directory, 'root');
    await mkdir(root);
    const worker = new FleetWorker('board-worker', {
      connection: redis.connection,
      queueName,
      root,
      concurrency: 1,
      download: { limitRateBytesPerSecond: MiB / 2 },
      progressIntervalMs: 200,
    });
    const dashboard = spawn(
      process.execPath,
      [cliPath, 'dashboard', '--redis', redis.url, '--queue', queueName],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = once(dashboard, 'exit');
    const context = await chromium.launchPersistentContext(join(directory, 'profile'), {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: browserFlags,
    });
    try {
      const [line] = (await once(createInterface({ input: dashboard.stdout }), 'line')) as [string];
      const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(line)?.[0];
      expect(url, line).toBeDefined();
      await worker.waitFor(([kind, , bytes]) => kind === 'progress' && Number(bytes) > 0);
      const page = await context.newPage();

      await page.goto(`${url}queue/${queueName}?status=waiting`);
      await page.getByText('board-2.bin').first().waitFor({ timeout: 30_000 });

      await page.goto(`${url}queue/${queueName}?status=active`);
      await page.getByText('board-0.bin').first().waitFor({ timeout: 30_000 });
      // The text as drawn (the ring's "37%"), not the DOM's: hidden templates are left out.
      // biome-ignore lint/performance/useDomNodeTextContent: rendered text is the point here
      const shown = () => page.locator('body').innerText();
      const percent = async () => Number(/(\d+)%/.exec(await shown())?.[1] ?? Number.NaN);
      await expect.poll(percent, { timeout: 30_000, interval: 250 }).toBeGreaterThan(0);
      const first = await percent();
      // The page refreshes itself; the ring must show more of the file a few seconds later.
      await expect.poll(percent, { timeout: 30_000, interval: 250 }).toBeGreaterThan(first);
    } finally {
      await context.close();
      dashboard.kill('SIGINT');
      await exited;
      await worker.kill('SIGTERM');
    }
  }, 120_000);
});

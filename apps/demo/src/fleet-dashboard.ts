import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { ErrorCode, RegetError } from '@reget/core';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import type { DashboardFlags } from './fleet-options.js';
import { redisConnection } from './fleet-redis.js';
import { Interrupt } from './interrupt.js';
import type { Io } from './io.js';
import { describeFailure } from './messages.js';

/**
 * `reget dashboard`: the queue in a browser, served on 127.0.0.1 by bull-board (the maintained
 * BullMQ dashboard): every job with its state, progress (`bytesOnDisk`, `total`,
 * `bytesPerSecond`), result and failure reason; jobs can be retried, promoted and removed from the
 * page. Runs until Ctrl-C.
 */
export async function runDashboardCommand(flags: DashboardFlags, io: Io): Promise<number> {
  try {
    return await serveDashboard(flags, io);
  } catch (error) {
    io.stderr.write(`${describeFailure(undefined, error)}\n`);
    return exitCodeFor(error);
  }
}

async function serveDashboard(flags: DashboardFlags, io: Io): Promise<number> {
  const connection = redisConnection(flags.redis, io);
  const [{ createBullBoard }, { BullMQAdapter }, { ExpressAdapter }, expressModule, { Queue }] =
    await Promise.all([
      import('@bull-board/api'),
      import('@bull-board/api/bullMQAdapter'),
      import('@bull-board/express'),
      import('express'),
      import('bullmq'),
    ]);
  // express is CommonJS (`export =`): under Node's ESM its function is the default export.
  const express = (expressModule as unknown as { default: typeof expressModule }).default;
  const queue = new Queue(flags.queue, { connection });
  const interrupt = new Interrupt();
  interrupt.install();
  try {
    const board = new ExpressAdapter();
    board.setBasePath('/');
    createBullBoard({
      queues: [new BullMQAdapter(queue)],
      serverAdapter: board,
      options: { uiConfig: { boardTitle: 'reget' } },
    });
    const app = express();
    app.use('/', board.getRouter());
    // Loopback only: the page can retry and remove jobs, and it has no login of its own.
    const server = app.listen(flags.port ?? 0, '127.0.0.1');
    await Promise.race([
      once(server, 'listening'),
      once(server, 'error').then(([error]) => {
        throw new RegetError(
          ErrorCode.BAD_INPUT,
          `Cannot listen on 127.0.0.1:${flags.port ?? 0} (${(error as NodeJS.ErrnoException).code}); choose another --port.`,
        );
      }),
    ]);
    const { port } = server.address() as AddressInfo;
    io.stdout.write(`Dashboard of "${flags.queue}": http://127.0.0.1:${port}/ (Ctrl-C stops)\n`);
    if (!interrupt.isInterrupted) await once(interrupt.signal, 'abort');
    server.closeAllConnections();
    server.close();
    return ExitCode.SUCCESS;
  } finally {
    interrupt.uninstall();
    await queue.close();
  }
}

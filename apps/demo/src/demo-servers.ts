import { randomBytes } from 'node:crypto';
import { type ConformanceServer, startFtpServer, startHttpServer, startSftpServer } from '@reget/testkit';

/** The protocols the demo shows, in the order it shows them. */
export type DemoProtocol = 'HTTP' | 'FTP' | 'SFTP';

/** One embedded server of the demo, or why it could not start. */
export type DemoServer =
  | { readonly protocol: DemoProtocol; readonly server: ConformanceServer; readonly error?: undefined }
  | { readonly protocol: DemoProtocol; readonly server?: undefined; readonly error: unknown };

/**
 * Starts testkit's HTTP, FTP and SFTP servers on 127.0.0.1 (ephemeral ports), each with the adapter
 * that reaches it (the SFTP one pinned to the server's generated host key). FTP and SFTP log in with
 * a password made up for this run. A server that cannot start is reported, not thrown, so the demo
 * still shows the others.
 */
export async function startDemoServers(): Promise<DemoServer[]> {
  const password = randomBytes(9).toString('base64url');
  const starters: Record<DemoProtocol, () => Promise<ConformanceServer>> = {
    HTTP: () => startHttpServer(),
    FTP: () => startFtpServer({ user: 'demo', password }),
    SFTP: () => startSftpServer({ username: 'demo', password }),
  };
  const protocols = Object.keys(starters) as DemoProtocol[];
  const settled = await Promise.allSettled(protocols.map((protocol) => starters[protocol]()));
  return protocols.map((protocol, index): DemoServer => {
    const outcome = settled[index]!;
    return outcome.status === 'fulfilled'
      ? { protocol, server: outcome.value }
      : { protocol, error: outcome.reason };
  });
}

/** Closes every server that started; a server failing to close does not stop the others. */
export async function closeDemoServers(servers: readonly DemoServer[]): Promise<void> {
  await Promise.allSettled(servers.map((entry) => entry.server?.close()));
}

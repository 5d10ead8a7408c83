import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { parseKey } from './host-key.js';

/** A running test SSH agent. */
export interface SshAgent {
  /** The socket path, for `SSH_AUTH_SOCK` or an adapter's `agent` option. */
  readonly socketPath: string;
  /** Signatures the agent made (one per successful publickey login through it). */
  signatures(): number;
  close(): Promise<void>;
}

/**
 * Starts an SSH agent holding `privateKeys` on a Unix socket, speaking the agent protocol
 * (draft-miller-ssh-agent) through ssh2's own AgentProtocol, so agent logins are tested without an
 * `ssh-agent` binary.
 */
export async function startSshAgent(privateKeys: readonly string[]): Promise<SshAgent> {
  const keys = privateKeys.map((key) => parseKey(key));
  const directory = await mkdtemp(join(tmpdir(), 'reget-agent-'));
  const socketPath = join(directory, 'agent.sock');
  const sockets = new Set<Socket>();
  let signatures = 0;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const protocol = new ssh2.AgentProtocol(false);
    socket.pipe(protocol).pipe(socket);
    protocol.on('identities', (request) => protocol.getIdentitiesReply(request, keys));
    protocol.on('sign', (request, publicKey, data, flags) => {
      const key = keys.find((candidate) => candidate.getPublicSSH().equals(publicKey.getPublicSSH()));
      const signature = key?.sign(data, flags.hash);
      if (!key || !signature || signature instanceof Error) return protocol.failureReply(request);
      signatures += 1;
      protocol.signReply(request, signature);
    });
  });
  server.listen(socketPath);
  await once(server, 'listening');
  return {
    socketPath,
    signatures: () => signatures,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(directory, { recursive: true, force: true });
    },
  };
}

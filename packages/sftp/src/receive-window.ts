import type { SFTPWrapper } from 'ssh2';

/**
 * What ssh2 keeps of an SFTP channel's flow control, which its typings leave out: how many bytes
 * the server may still send (`incoming.window`), the server's channel number (`outgoing.id`), and
 * the transport that sends SSH_MSG_CHANNEL_WINDOW_ADJUST (`_protocol.channelWindowAdjust`).
 */
interface ChannelInternals {
  readonly incoming: { window: number };
  readonly outgoing: { readonly id: number; readonly state?: unknown };
  readonly _protocol: { channelWindowAdjust(channel: number, bytes: number): void };
}

/** The channel's flow control as ssh2 1.x keeps it, or undefined when it is not (then leave it be). */
function internalsOf(sftp: SFTPWrapper): ChannelInternals | undefined {
  const candidate = sftp as unknown as Partial<ChannelInternals>;
  const { incoming, outgoing, _protocol: protocol } = candidate;
  if (
    typeof incoming?.window !== 'number' ||
    !Number.isSafeInteger(incoming.window) ||
    typeof outgoing?.id !== 'number' ||
    typeof protocol?.channelWindowAdjust !== 'function'
  ) {
    return undefined;
  }
  return candidate as ChannelInternals;
}

/** The largest window RFC 4254 can express: a uint32 (§5.2), kept well clear of it. */
const maxWindowBytes = 2 ** 30;

/**
 * The receive window reget grants the server on one SFTP channel (RFC 4254 §5.2). ssh2 grants a
 * constant 2 MiB and tops it up only once half of it is used, so at most 1-2 MiB of READ replies
 * are ever on the way: over a 50 ms round trip that caps one channel near 30 MiB/s whatever the
 * number of READs in flight (OpenSSH's client keeps its 2 MiB window almost full). Widening it
 * lets the READs in flight, which reget bounds, be the only limit.
 *
 * It works underneath ssh2, on fields it keeps private: when they are not there (another ssh2
 * version), nothing is done and ssh2's own window applies. The window only allows the server to
 * send; an SFTP server sends only replies to requests, so memory stays bounded by the READs in
 * flight, not by the window.
 */
export class ReceiveWindow {
  readonly #channel: ChannelInternals;
  #targetBytes = 0;

  private constructor(channel: ChannelInternals) {
    this.#channel = channel;
  }

  /** A window for `sftp`, or undefined when ssh2 does not keep its flow control as expected. */
  static of(sftp: SFTPWrapper): ReceiveWindow | undefined {
    const channel = internalsOf(sftp);
    return channel === undefined ? undefined : new ReceiveWindow(channel);
  }

  /** Grants the server at least `bytes` of window from now on (never less than before). */
  widen(bytes: number): void {
    this.#targetBytes = Math.min(maxWindowBytes, Math.max(this.#targetBytes, bytes));
    this.refill(0);
  }

  /**
   * Tops the window back up to the target once at least `minimumBytes` of it were used: call it
   * whenever data arrived. Each top-up is one small SSH packet.
   */
  refill(minimumBytes: number): void {
    const { incoming, outgoing, _protocol: protocol } = this.#channel;
    const missing = this.#targetBytes - incoming.window;
    if (missing <= 0 || missing < minimumBytes) return;
    // Once the channel is closing, the server must not be invited to send more (RFC 4254 §5.3).
    if (outgoing.state !== undefined && outgoing.state !== 'open' && outgoing.state !== 'eof') return;
    try {
      protocol.channelWindowAdjust(outgoing.id, missing);
    } catch {
      // The connection is gone; the pending READs fail on their own.
      return;
    }
    incoming.window += missing;
  }
}

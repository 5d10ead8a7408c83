import type { Socket } from 'node:net';
import { type SecureContext, TLSSocket } from 'node:tls';
import type { DiskFolder, DiskOpenFile } from '../disk/folder.js';
import {
  chunksOf,
  type DataConnection,
  type PassiveListener,
  sendBody,
  toNetworkAscii,
  toNetworkAsciiChunks,
} from './data.js';
import type { FtpFaults, FtpFinalReply } from './faults.js';
import { type FtpFileStore, formatMdtm, resolveFtpPath } from './files.js';

/** What a control session needs from the server that accepted it. */
export interface FtpSessionHost {
  readonly files: FtpFileStore;
  /** Files served from disk, looked up when `files` has none at the path. */
  readonly folder: DiskFolder | undefined;
  readonly secureContext: SecureContext | undefined;
  /** Refuse USER before AUTH TLS (explicit FTPS servers). */
  readonly requireTls: boolean;
  /** undefined: anonymous server, any user and password log in. */
  readonly credentials: { readonly user: string; readonly password: string } | undefined;
  faults(): FtpFaults;
  /** Whether this RETR gets `dropAfterBytes` (consumes one of `dropTimes`). */
  takeDrop(): boolean;
  countBytes(count: number): void;
  /** A RETR starts sending the file from `offset`. */
  noteTransfer(offset: number): void;
  log(command: string): void;
  /** Opens a passive listener; its socket is TLS-wrapped when `isProtected`. */
  openPassive(isProtected: boolean): Promise<PassiveListener>;
  /** Sees every data connection a RETR uses. */
  noteDataConnection(connection: DataConnection): void;
  track(socket: Socket): void;
}

const finalReplies: Record<FtpFinalReply, string> = {
  226: '226 Transfer complete.',
  421: '421 Service not available, closing control connection.',
  426: '426 Connection closed; transfer aborted.',
  451: '451 Requested action aborted: local error in processing.',
};

// Commands a client may send before logging in (RFC 959, RFC 4217 for AUTH/PBSZ/PROT).
const beforeLogin = new Set(['USER', 'PASS', 'AUTH', 'PBSZ', 'PROT', 'FEAT', 'SYST', 'NOOP', 'QUIT', 'OPTS']);

/**
 * One control connection of the embedded FTP server: a line-based command loop that answers the
 * commands a downloading client uses (RFC 959, RFC 3659 SIZE/MDTM/REST, RFC 2428 EPSV, RFC 4217 TLS).
 */
export class FtpSession {
  readonly #host: FtpSessionHost;
  #socket: Socket;
  #isTls: boolean;
  #pending = '';
  #queue: Promise<void> = Promise.resolve();
  #isUpgrading = false;
  #isProtected = false;
  #isBinary = false;
  #cwd = '/';
  #restOffset = 0;
  #user: string | undefined;
  #isLoggedIn = false;
  #passive: PassiveListener | undefined;

  constructor(socket: Socket, host: FtpSessionHost) {
    this.#host = host;
    this.#socket = socket;
    this.#isTls = socket instanceof TLSSocket;
    this.#listen(socket);
    if (!this.#isSilent('GREETING')) this.#reply('220 reget test FTP server ready.');
  }

  #listen(socket: Socket): void {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.#onData(chunk));
    socket.on('close', () => this.#passive?.close());
  }

  #onData(chunk: string): void {
    // Anything pipelined after AUTH TLS arrived in clear text and must not be executed (CVE-2021-22946).
    if (this.#isUpgrading) return;
    this.#pending += chunk;
    let newline = this.#pending.indexOf('\n');
    while (newline !== -1) {
      const line = this.#pending.slice(0, newline).replace(/\r$/, '');
      this.#pending = this.#pending.slice(newline + 1);
      if (/^AUTH\b/i.test(line)) {
        this.#isUpgrading = true;
        this.#pending = '';
      }
      this.#queue = this.#queue
        .then(() => this.#dispatch(line))
        .catch(() => {
          this.#socket.destroy();
        });
      if (this.#isUpgrading) return;
      newline = this.#pending.indexOf('\n');
    }
  }

  #reply(text: string): Promise<void> {
    return new Promise((resolve) => {
      if (this.#socket.destroyed) resolve();
      else this.#socket.write(`${text}\r\n`, () => resolve());
    });
  }

  #isSilent(verb: string): boolean {
    return this.#host.faults().silent?.includes(verb) ?? false;
  }

  async #dispatch(line: string): Promise<void> {
    const space = line.indexOf(' ');
    const verb = (space === -1 ? line : line.slice(0, space)).toUpperCase();
    const argument = space === -1 ? '' : line.slice(space + 1);
    this.#host.log(verb === 'PASS' ? 'PASS ****' : line);
    if (this.#isSilent(verb)) return;
    if (!this.#isLoggedIn && !beforeLogin.has(verb))
      return this.#reply('530 Please log in with USER and PASS.');
    switch (verb) {
      case 'USER':
        return this.#userCommand(argument);
      case 'PASS':
        return this.#passCommand(argument);
      case 'AUTH':
        return this.#authCommand(argument);
      case 'PBSZ':
        return this.#reply(this.#isTls ? '200 PBSZ=0' : '503 Use AUTH first.');
      case 'PROT':
        return this.#protCommand(argument.toUpperCase());
      case 'FEAT':
        return this.#featCommand();
      case 'SYST':
        return this.#reply('215 UNIX Type: L8');
      case 'NOOP':
      case 'OPTS':
      case 'MODE':
      case 'STRU':
        return this.#reply('200 OK.');
      case 'QUIT':
        await this.#reply('221 Goodbye.');
        this.#socket.end();
        return;
      case 'PWD':
        return this.#reply(`257 "${this.#cwd}" is the current directory.`);
      case 'CWD':
        this.#cwd = resolveFtpPath(this.#cwd, argument);
        return this.#reply('250 Directory changed.');
      case 'TYPE':
        return this.#typeCommand(argument.toUpperCase());
      case 'SIZE':
        return this.#sizeCommand(argument);
      case 'MDTM':
        return this.#mdtmCommand(argument);
      case 'REST':
        return this.#restCommand(argument);
      case 'PASV':
      case 'EPSV':
        return this.#passiveCommand(verb);
      case 'RETR':
        return this.#retrieve(argument);
      case 'ABOR':
        return this.#reply('225 No transfer to abort.');
      default:
        return this.#reply('502 Command not implemented.');
    }
  }

  #userCommand(user: string): Promise<void> {
    if (this.#host.requireTls && !this.#isTls) return this.#reply('530 TLS is required; use AUTH TLS first.');
    this.#user = user;
    this.#isLoggedIn = false;
    return this.#reply('331 Password required.');
  }

  #passCommand(password: string): Promise<void> {
    if (this.#user === undefined) return this.#reply('503 Send USER first.');
    const expected = this.#host.credentials;
    if (expected !== undefined && (expected.user !== this.#user || expected.password !== password)) {
      return this.#reply('530 Login incorrect.');
    }
    this.#isLoggedIn = true;
    return this.#reply('230 Logged in.');
  }

  async #authCommand(mechanism: string): Promise<void> {
    const context = this.#host.secureContext;
    const canUpgrade = /^(TLS|SSL|TLS-C)$/i.test(mechanism) && context !== undefined && !this.#isTls;
    if (!canUpgrade || this.#host.faults().refuseAuthTls) {
      this.#isUpgrading = false;
      return this.#reply('502 AUTH TLS is not available.');
    }
    const injected = this.#host.faults().pipelineAfterAuth;
    await this.#reply(`234 Proceed with negotiation.${injected === undefined ? '' : `\r\n${injected}`}`);
    const raw = this.#socket;
    raw.removeAllListeners('data');
    const secure = new TLSSocket(raw, { isServer: true, secureContext: context });
    this.#host.track(secure);
    this.#socket = secure;
    this.#isTls = true;
    this.#isUpgrading = false;
    this.#pending = '';
    this.#listen(secure);
  }

  #protCommand(level: string): Promise<void> {
    if (!this.#isTls) return this.#reply('503 Use AUTH first.');
    if (level !== 'P' && level !== 'C') return this.#reply('504 Protection level not supported.');
    this.#isProtected = level === 'P';
    return this.#reply('200 Protection level set.');
  }

  #featCommand(): Promise<void> {
    const faults = this.#host.faults();
    const features = ['EPSV', 'PASV', 'UTF8'];
    if (!faults.noSize) features.push('SIZE');
    if (!faults.noMdtm) features.push('MDTM');
    if (!faults.noRestStream) features.push('REST STREAM');
    if (this.#host.secureContext !== undefined) features.push('AUTH TLS', 'PBSZ', 'PROT');
    return this.#reply(
      ['211-Features:', ...features.map((feature) => ` ${feature}`), '211 End'].join('\r\n'),
    );
  }

  #typeCommand(type: string): Promise<void> {
    if (type === 'I' || type === 'L 8') this.#isBinary = true;
    else if (type === 'A' || type === 'A N') this.#isBinary = false;
    else return this.#reply('504 Type not supported.');
    return this.#reply(`200 Type set to ${this.#isBinary ? 'I' : 'A'}.`);
  }

  /**
   * The file named by `argument` (a stored one, else a fresh `stat` of the served folder's), or the
   * reply that refuses it.
   */
  async #readableFile(argument: string): Promise<{ size: number; mtimeMs: number } | string> {
    const path = resolveFtpPath(this.#cwd, argument);
    const file = this.#host.files.get(path);
    if (file?.isUnreadable) return '550 Permission denied.';
    if (file !== undefined) return { size: file.content.length, mtimeMs: file.mtimeMs };
    const entry = await this.#host.folder?.stat(path);
    if (entry?.kind !== 'file') return '550 No such file or directory.';
    return entry;
  }

  async #sizeCommand(argument: string): Promise<void> {
    const faults = this.#host.faults();
    if (faults.noSize) return this.#reply('500 Unknown command.');
    const file = await this.#readableFile(argument);
    if (typeof file === 'string') return this.#reply(file);
    // SIZE depends on the transfer type (RFC 3659 §4); like ProFTPD, refuse it in ASCII mode.
    if (!this.#isBinary) return this.#reply('550 SIZE not allowed in ASCII mode.');
    if (faults.sizeReply !== undefined) return this.#reply(`213 ${faults.sizeReply}`);
    if (faults.oddSize) return this.#reply(`213 file: 213, Size =${file.size}`);
    return this.#reply(`213 ${file.size}`);
  }

  async #mdtmCommand(argument: string): Promise<void> {
    if (this.#host.faults().noMdtm) return this.#reply('500 Unknown command.');
    const file = await this.#readableFile(argument);
    if (typeof file === 'string') return this.#reply(file);
    return this.#reply(`213 ${formatMdtm(file.mtimeMs)}`);
  }

  #restCommand(argument: string): Promise<void> {
    if (this.#host.faults().refuseRange) return this.#reply('502 REST not implemented.');
    if (!/^\d{1,15}$/.test(argument)) return this.#reply('501 Invalid REST parameter.');
    this.#restOffset = Number(argument);
    return this.#reply(`350 Restarting at ${this.#restOffset}. Send RETR to start.`);
  }

  async #passiveCommand(verb: 'PASV' | 'EPSV'): Promise<void> {
    const faults = this.#host.faults();
    if (verb === 'EPSV' && faults.noEpsv) return this.#reply('500 EPSV not understood.');
    this.#passive?.close();
    const passive = await this.#host.openPassive(this.#isProtected);
    this.#passive = passive;
    const port = passive.port;
    if (verb === 'EPSV') return this.#reply(`229 Entering Extended Passive Mode (|||${port}|)`);
    const address = (faults.pasvHost ?? this.#socket.localAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
    const numbers = [...address.split('.'), String(port >> 8), String(port & 255)].join(',');
    return this.#reply(`227 Entering Passive Mode (${numbers}).`);
  }

  async #retrieve(argument: string): Promise<void> {
    const path = resolveFtpPath(this.#cwd, argument);
    const stored = this.#host.files.get(path);
    if (stored?.isUnreadable) return this.#reply('550 Permission denied.');
    // A file on disk is opened now: the transfer reads the version that exists at RETR.
    const opened = stored === undefined ? await this.#host.folder?.open(path) : undefined;
    if (stored === undefined && opened === undefined) return this.#reply('550 No such file or directory.');
    try {
      await this.#transfer(stored?.content, opened);
    } finally {
      await opened?.handle.close();
    }
  }

  async #transfer(content: Uint8Array | undefined, opened: DiskOpenFile | undefined): Promise<void> {
    const passive = this.#passive;
    if (passive === undefined) return this.#reply('425 Use PASV or EPSV first.');
    this.#passive = undefined;
    const faults = this.#host.faults();
    const offset = faults.ignoreRange ? 0 : this.#restOffset;
    this.#restOffset = 0;
    let connection: DataConnection;
    try {
      connection = await passive.accept(10_000);
    } catch {
      return this.#reply("425 Can't open data connection.");
    } finally {
      passive.close();
    }
    this.#host.noteDataConnection(connection);
    if (faults.requireSessionReuse && connection.isSessionReused === false) {
      connection.socket.destroy();
      return this.#reply('425 Data connection must resume the TLS session of the control connection.');
    }
    await this.#reply(`150 Opening ${this.#isBinary ? 'BINARY' : 'ASCII'} mode data connection.`);
    this.#host.noteTransfer(offset);
    const outcome = await sendBody(connection.socket, this.#body(content, opened, offset), {
      dropAfter:
        faults.dropAfterBytes !== undefined && this.#host.takeDrop() ? faults.dropAfterBytes : undefined,
      stallAfter: faults.stallAfterBytes,
      onBytes: (count) => this.#host.countBytes(count),
    });
    connection.socket.destroy();
    if (outcome === 'complete' && faults.noFinalReply) return;
    if (outcome === 'complete') return this.#finalReply(faults.finalReply ?? 226);
    if (outcome === 'dropped') return this.#finalReply(faults.dropReply ?? 226);
    return this.#finalReply(426);
  }

  /** The bytes RETR sends from `offset`: of the stored content, or streamed from the open file. */
  #body(
    content: Uint8Array | undefined,
    opened: DiskOpenFile | undefined,
    offset: number,
  ): Iterable<Uint8Array> | AsyncIterable<Uint8Array> {
    if (content !== undefined) {
      const sent = this.#isBinary ? content : toNetworkAscii(content);
      return chunksOf(sent.subarray(Math.min(offset, sent.length)));
    }
    const read = (start: number) =>
      opened!.handle.createReadStream({ start, highWaterMark: 64 * 1024, autoClose: false });
    return this.#isBinary ? read(offset) : toNetworkAsciiChunks(read(0), offset);
  }

  /**
   * Ends the session from the server's side as an idle timeout does (vsftpd's
   * `idle_session_timeout`): `421 Timeout.`, then the connection closes. Resolves once it is closed.
   */
  async closeIdle(): Promise<void> {
    if (this.#socket.destroyed) return;
    const closed = new Promise<void>((resolve) => this.#socket.once('close', () => resolve()));
    this.#passive?.close();
    this.#socket.end('421 Timeout.\r\n');
    await closed;
  }

  async #finalReply(code: FtpFinalReply): Promise<void> {
    await this.#reply(finalReplies[code]);
    if (code === 421) this.#socket.end();
  }
}

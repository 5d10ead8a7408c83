import ssh2, { type Attributes, type SFTPWrapper } from 'ssh2';
import { type SftpFaults, shortReadLimit } from './faults.js';
import { resolveSftpPath, type SftpFile, type SftpFileStore } from './files.js';

const { STATUS_CODE, OPEN_MODE } = ssh2.utils.sftp;
const writeFlags = OPEN_MODE.WRITE | OPEN_MODE.APPEND | OPEN_MODE.CREAT | OPEN_MODE.TRUNC;

/** What one SFTP session needs from its server. */
export interface SftpServeContext {
  readonly files: SftpFileStore;
  /** The login directory, which relative paths start from. */
  readonly home: string;
  faults(): SftpFaults;
  /** True when a `dropAfterBytes` drop may happen now (counts it against `dropTimes`). */
  claimDrop(): boolean;
  /** Counts file body bytes sent in DATA replies. */
  countSent(bytes: number): void;
  /** A READ was held by the stall fault. */
  onStall(): void;
  /** Closes the whole SSH connection this session runs on. */
  closeConnection(): void;
}

interface OpenFile {
  /** undefined for a directory handle. */
  readonly file: SftpFile | undefined;
  /** Body bytes this handle has sent: faults count per handle, as they count per response elsewhere. */
  sent: number;
  /** Cut by `dropAfterBytes`: READs that arrive before the channel closes go unanswered. */
  isDropped: boolean;
}

/**
 * Answers one SFTP v3 session (draft-ietf-secsh-filexfer-02) read-only from `context.files`:
 * OPEN, FSTAT, READ, CLOSE, STAT, LSTAT, REALPATH. Writes are refused with SSH_FX_PERMISSION_DENIED.
 */
export function serveSftp(sftp: SFTPWrapper, context: SftpServeContext): void {
  const handles = new Map<number, OpenFile>();
  let nextHandle = 1;

  const lookup = (handle: Buffer): OpenFile | undefined =>
    handle.length === 4 ? handles.get(handle.readUInt32BE(0)) : undefined;

  const attributesOf = (file: SftpFile | undefined): Attributes => {
    const now = Math.floor(Date.now() / 1000);
    if (file === undefined)
      return { mode: 0o040755, uid: 1000, gid: 1000, size: 4096, atime: now, mtime: now };
    const { mtime } = file;
    const attributes = {
      mode: 0o100644,
      uid: 1000,
      gid: 1000,
      size: file.content.length,
      atime: mtime,
      mtime,
    };
    if (!context.faults().omitSize) return attributes;
    // ssh2 sets SSH_FILEXFER_ATTR_SIZE only when `size` is a number.
    const { size: _omitted, ...withoutSize } = attributes;
    return withoutSize as Attributes;
  };

  const answerStat = (reqId: number, path: string) => {
    const absolute = resolveSftpPath(context.home, path);
    const file = context.files.get(absolute);
    if (file !== undefined) return sftp.attrs(reqId, attributesOf(file));
    if (context.files.isDirectory(absolute) || absolute === context.home)
      return sftp.attrs(reqId, attributesOf(undefined));
    sftp.status(reqId, STATUS_CODE.NO_SUCH_FILE, 'No such file');
  };

  // ssh2 queues replies that do not fit the client's channel window but sends CLOSE at once, so a
  // drop right away would lose replies already counted as sent. Its queue drains on the client's
  // next window adjust; there is no event for that, so look again shortly.
  const closeWhenFlushed = (close: () => void) => {
    const channel = sftp as unknown as { _buffer?: unknown[]; outgoing?: { state?: string } };
    const attempt = () => {
      if ((channel._buffer?.length ?? 0) > 0 && channel.outgoing?.state === 'open') setTimeout(attempt, 1);
      else close();
    };
    attempt();
  };

  // The client's EOF ends the session; OpenSSH's client waits for the server to close the channel.
  sftp.on('end', () => sftp.end());

  sftp.on('OPEN', (reqId: number, path: string, flags: number) => {
    if (flags & writeFlags) return sftp.status(reqId, STATUS_CODE.PERMISSION_DENIED, 'Read-only server');
    const absolute = resolveSftpPath(context.home, path);
    const file = context.files.get(absolute);
    if (file === undefined && !context.files.isDirectory(absolute) && absolute !== context.home) {
      return sftp.status(reqId, STATUS_CODE.NO_SUCH_FILE, 'No such file');
    }
    if (file?.isUnreadable) return sftp.status(reqId, STATUS_CODE.PERMISSION_DENIED, 'Permission denied');
    const id = nextHandle++;
    handles.set(id, { file, sent: 0, isDropped: false });
    const handle = Buffer.alloc(4);
    handle.writeUInt32BE(id, 0);
    sftp.handle(reqId, handle);
  });

  sftp.on('FSTAT', (reqId: number, handle: Buffer) => {
    const open = lookup(handle);
    if (open === undefined) return sftp.status(reqId, STATUS_CODE.FAILURE, 'Bad handle');
    sftp.attrs(reqId, attributesOf(open.file));
  });

  sftp.on('READ', (reqId: number, handle: Buffer, offset: number, length: number) => {
    const open = lookup(handle);
    if (open === undefined) return sftp.status(reqId, STATUS_CODE.FAILURE, 'Bad handle');
    if (open.file === undefined) return sftp.status(reqId, STATUS_CODE.FAILURE, 'Is a directory');
    if (open.isDropped) return;
    const faults = context.faults();
    const content = open.file.content;
    if (offset >= content.length) return sftp.status(reqId, STATUS_CODE.EOF);

    let count = Math.min(length, content.length - offset, shortReadLimit(faults, length, offset));
    let isDropping = false;
    const { dropAfterBytes, stallAfterBytes } = faults;
    if (stallAfterBytes !== undefined) {
      count = Math.min(count, stallAfterBytes - open.sent);
      if (count <= 0) {
        // Held for good: the client sees an open, silent channel (FAULTS NET-03).
        context.onStall();
        return;
      }
    }
    if (dropAfterBytes !== undefined && open.sent + count >= dropAfterBytes && context.claimDrop()) {
      count = dropAfterBytes - open.sent;
      isDropping = true;
      open.isDropped = true;
    }
    if (count > 0) {
      open.sent += count;
      context.countSent(count);
      sftp.data(reqId, content.subarray(offset, offset + count));
    }
    if (isDropping)
      closeWhenFlushed(faults.dropScope === 'connection' ? context.closeConnection : () => sftp.end());
  });

  sftp.on('CLOSE', (reqId: number, handle: Buffer) => {
    if (handle.length === 4) handles.delete(handle.readUInt32BE(0));
    sftp.status(reqId, STATUS_CODE.OK);
  });

  sftp.on('STAT', answerStat);
  sftp.on('LSTAT', answerStat);

  sftp.on('REALPATH', (reqId: number, path: string) => {
    const absolute = resolveSftpPath(context.home, path);
    sftp.name(reqId, [{ filename: absolute, longname: absolute, attrs: attributesOf(undefined) }]);
  });
}

import type { Stats } from 'node:fs';
import ssh2, { type Attributes, type SFTPWrapper } from 'ssh2';
import type { DiskFolder, DiskOpenFile } from '../disk/folder.js';
import { type SftpFaults, shortReadLimit } from './faults.js';
import { resolveSftpPath, type SftpFile, type SftpFileStore } from './files.js';

const { STATUS_CODE, OPEN_MODE } = ssh2.utils.sftp;
const writeFlags = OPEN_MODE.WRITE | OPEN_MODE.APPEND | OPEN_MODE.CREAT | OPEN_MODE.TRUNC;
// A READ may ask for any length; like OpenSSH's sftp-server, answer at most 256 KiB from disk (a
// shorter DATA is allowed), so one request cannot make the server allocate the file.
const maximumDiskRead = 256 * 1024;

/** What one SFTP session needs from its server. */
export interface SftpServeContext {
  readonly files: SftpFileStore;
  /** Files served from disk, looked up when `files` has none at the path. */
  readonly folder: DiskFolder | undefined;
  /** The login directory, which relative paths start from. */
  readonly home: string;
  faults(): SftpFaults;
  /** True when a `dropAfterBytes` drop may happen now (counts it against `dropTimes`). */
  claimDrop(): boolean;
  /** Counts file body bytes sent in DATA replies. */
  countSent(bytes: number): void;
  /** A DATA reply did not fit the client's channel window and waits for it to be widened. */
  noteWindowWait(): void;
  /** A file handle got its first READ, at `offset`: a transfer starts there. */
  noteTransfer(offset: number): void;
  /** A READ was held by the stall fault. */
  onStall(): void;
  /** Closes the whole SSH connection this session runs on. */
  closeConnection(): void;
}

interface OpenFile {
  /** undefined for a directory handle, or for a file on disk. */
  readonly file: SftpFile | undefined;
  /** A file of the served folder, read at offsets (its bytes are never held). */
  readonly disk: DiskOpenFile | undefined;
  /** The READs of a file on disk, answered one after the other in the order they came. */
  queue: Promise<void>;
  /** Body bytes this handle has sent: faults count per handle, as they count per response elsewhere. */
  sent: number;
  /** Cut by `dropAfterBytes`: READs that arrive before the channel closes go unanswered. */
  isDropped: boolean;
  /** A READ arrived on this handle. */
  isRead: boolean;
  /** READs held by `holdFirstReadBytes`, and how many bytes they ask for; undefined once released. */
  held: { reads: (() => void)[]; bytes: number } | undefined;
}

/** What a file answers in ATTRS: a stored one, or a `stat` of one on disk. */
type AttributeSource = SftpFile | Stats | { readonly size: number; readonly mtimeMs: number };

/**
 * Answers one SFTP v3 session (draft-ietf-secsh-filexfer-02) read-only from `context.files`, then
 * from `context.folder` on disk: OPEN, FSTAT, READ, CLOSE, STAT, LSTAT, REALPATH. Writes are refused
 * with SSH_FX_PERMISSION_DENIED.
 */
export function serveSftp(sftp: SFTPWrapper, context: SftpServeContext): void {
  const handles = new Map<number, OpenFile>();
  let nextHandle = 1;

  const lookup = (handle: Buffer): OpenFile | undefined =>
    handle.length === 4 ? handles.get(handle.readUInt32BE(0)) : undefined;

  const attributesOf = (file: AttributeSource | undefined): Attributes => {
    const now = Math.floor(Date.now() / 1000);
    if (file === undefined)
      return { mode: 0o040755, uid: 1000, gid: 1000, size: 4096, atime: now, mtime: now };
    const mtime = 'mtimeMs' in file ? Math.floor(file.mtimeMs / 1000) : file.mtime;
    const attributes = {
      mode: 0o100644,
      uid: 1000,
      gid: 1000,
      size: 'content' in file ? file.content.length : file.size,
      atime: mtime,
      mtime,
    };
    if (!context.faults().omitSize) return attributes;
    // ssh2 sets SSH_FILEXFER_ATTR_SIZE only when `size` is a number.
    const { size: _omitted, ...withoutSize } = attributes;
    return withoutSize as Attributes;
  };

  const answerStat = async (reqId: number, path: string) => {
    const absolute = resolveSftpPath(context.home, path);
    const file = context.files.get(absolute);
    if (file !== undefined) return sftp.attrs(reqId, attributesOf(file));
    if (context.files.isDirectory(absolute) || absolute === context.home)
      return sftp.attrs(reqId, attributesOf(undefined));
    const entry = await context.folder?.stat(absolute);
    if (entry !== undefined)
      return sftp.attrs(reqId, attributesOf(entry.kind === 'file' ? entry : undefined));
    sftp.status(reqId, STATUS_CODE.NO_SUCH_FILE, 'No such file');
  };

  // Replies ssh2 holds back until the client's channel window lets them go (private to ssh2).
  const channel = sftp as unknown as { _buffer?: unknown[]; outgoing?: { state?: string } };
  const queuedReplies = () => channel._buffer?.length ?? 0;
  // ssh2 queues replies that do not fit the client's channel window but sends CLOSE at once, so a
  // drop right away would lose replies already counted as sent. Its queue drains on the client's
  // next window adjust; there is no event for that, so look again shortly.
  const closeWhenFlushed = (close: () => void) => {
    const attempt = () => {
      if (queuedReplies() > 0 && channel.outgoing?.state === 'open') setTimeout(attempt, 1);
      else close();
    };
    attempt();
  };

  const closeDiskFiles = () => {
    for (const open of handles.values()) void open.disk?.handle.close().catch(() => undefined);
    handles.clear();
  };

  // The client's EOF ends the session; OpenSSH's client waits for the server to close the channel.
  sftp.on('end', () => sftp.end());
  sftp.on('close', closeDiskFiles);

  const newHandle = (
    reqId: number,
    open: Omit<OpenFile, 'sent' | 'isDropped' | 'queue' | 'isRead' | 'held'>,
  ) => {
    const id = nextHandle++;
    const held = { reads: [], bytes: 0 };
    handles.set(id, { ...open, sent: 0, isDropped: false, isRead: false, queue: Promise.resolve(), held });
    const handle = Buffer.alloc(4);
    handle.writeUInt32BE(id, 0);
    sftp.handle(reqId, handle);
  };

  const openOnDisk = async (reqId: number, absolute: string) => {
    const entry = await context.folder?.stat(absolute);
    if (entry?.kind === 'directory') return newHandle(reqId, { file: undefined, disk: undefined });
    // Open at OPEN, as a real server does: the handle reads this version even if the file is replaced.
    const disk = entry === undefined ? undefined : await context.folder?.open(absolute);
    if (disk === undefined) return sftp.status(reqId, STATUS_CODE.NO_SUCH_FILE, 'No such file');
    newHandle(reqId, { file: undefined, disk });
  };

  sftp.on('OPEN', (reqId: number, path: string, flags: number) => {
    if (flags & writeFlags) return sftp.status(reqId, STATUS_CODE.PERMISSION_DENIED, 'Read-only server');
    const absolute = resolveSftpPath(context.home, path);
    const file = context.files.get(absolute);
    if (file === undefined && !context.files.isDirectory(absolute) && absolute !== context.home) {
      if (context.folder !== undefined) return void openOnDisk(reqId, absolute).catch(() => undefined);
      return sftp.status(reqId, STATUS_CODE.NO_SUCH_FILE, 'No such file');
    }
    if (file?.isUnreadable) return sftp.status(reqId, STATUS_CODE.PERMISSION_DENIED, 'Permission denied');
    newHandle(reqId, { file, disk: undefined });
  });

  sftp.on('FSTAT', (reqId: number, handle: Buffer) => {
    const open = lookup(handle);
    if (open === undefined) return sftp.status(reqId, STATUS_CODE.FAILURE, 'Bad handle');
    if (open.disk === undefined) return sftp.attrs(reqId, attributesOf(open.file));
    open.disk.handle
      .stat()
      .then(
        (stats) => sftp.attrs(reqId, attributesOf(stats)),
        () => sftp.status(reqId, STATUS_CODE.FAILURE, 'Cannot stat'),
      )
      .catch(() => undefined);
  });

  /** Reads up to `length` bytes at `offset` of a file on disk, in READ order, then answers. */
  const readFromDisk = (
    reqId: number,
    open: OpenFile,
    disk: DiskOpenFile,
    offset: number,
    length: number,
  ) => {
    const limit = Math.min(length, maximumDiskRead, shortReadLimit(context.faults(), length, offset));
    open.queue = open.queue
      .then(async () => {
        if (open.isDropped) return;
        const buffer = Buffer.allocUnsafe(limit);
        const read = await disk.handle.read(buffer, 0, limit, offset).catch(() => undefined);
        if (read === undefined) sftp.status(reqId, STATUS_CODE.FAILURE, 'Read failed');
        else answerRead(reqId, open, buffer.subarray(0, read.bytesRead), offset, length);
      })
      // The channel may be gone by the time the disk answers (the client left, or a drop).
      .catch(() => undefined);
  };

  sftp.on('READ', (reqId: number, handle: Buffer, offset: number, length: number) => {
    const open = lookup(handle);
    if (open === undefined) return sftp.status(reqId, STATUS_CODE.FAILURE, 'Bad handle');
    if (!open.isRead && (open.disk !== undefined || open.file !== undefined)) context.noteTransfer(offset);
    open.isRead = true;
    if (open.disk !== undefined) return readFromDisk(reqId, open, open.disk, offset, length);
    if (open.file === undefined) return sftp.status(reqId, STATUS_CODE.FAILURE, 'Is a directory');
    const content = open.file.content;
    const answer = () =>
      answerRead(reqId, open, content.subarray(Math.min(offset, content.length)), offset, length);
    const hold = context.faults().holdFirstReadBytes;
    if (hold === undefined || open.held === undefined) return answer();
    open.held.reads.push(answer);
    open.held.bytes += length;
    if (open.held.bytes < hold) return;
    const { reads } = open.held;
    open.held = undefined;
    for (const read of reads) read();
  });

  /** Answers a READ of `length` bytes at `offset` from `available`, the file's bytes from `offset` on. */
  const answerRead = (reqId: number, open: OpenFile, available: Buffer, offset: number, length: number) => {
    if (open.isDropped) return;
    const faults = context.faults();
    if (available.length === 0) return sftp.status(reqId, STATUS_CODE.EOF);

    let count = Math.min(length, available.length, shortReadLimit(faults, length, offset));
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
      const queuedBefore = queuedReplies();
      sftp.data(reqId, available.subarray(0, count));
      // ssh2 queued (the rest of) the reply until the client's window lets it go (RFC 4254 §5.2).
      // The queue is private to ssh2: the sftp tests check that the count moves with this ssh2.
      if (queuedReplies() > queuedBefore) context.noteWindowWait();
    }
    if (isDropping)
      closeWhenFlushed(faults.dropScope === 'connection' ? context.closeConnection : () => sftp.end());
  };

  sftp.on('CLOSE', (reqId: number, handle: Buffer) => {
    const open = lookup(handle);
    if (handle.length === 4) handles.delete(handle.readUInt32BE(0));
    if (open?.disk === undefined) return sftp.status(reqId, STATUS_CODE.OK);
    // After the READs already asked for, so none reads from a closed descriptor.
    const { disk } = open;
    void open.queue
      .then(() => disk.handle.close())
      .then(
        () => sftp.status(reqId, STATUS_CODE.OK),
        () => sftp.status(reqId, STATUS_CODE.FAILURE, 'Close failed'),
      )
      .catch(() => undefined);
  });

  // A channel closed while the disk answered makes the reply throw; nobody is waiting for it then.
  const stat = (reqId: number, path: string) => void answerStat(reqId, path).catch(() => undefined);
  sftp.on('STAT', stat);
  sftp.on('LSTAT', stat);

  sftp.on('REALPATH', (reqId: number, path: string) => {
    const absolute = resolveSftpPath(context.home, path);
    sftp.name(reqId, [{ filename: absolute, longname: absolute, attrs: attributesOf(undefined) }]);
  });
}

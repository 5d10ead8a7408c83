import { readFile } from 'node:fs/promises';

/**
 * What the servers' own logs say each client asked for, so the crash tier can check "only fetch
 * what is missing" (docs/design.md, invariant 3) with evidence that does not come from reget itself.
 */

/** One request for bytes `[start, end)` of a file (`end` is Infinity for "to the end"). */
export interface LoggedRequest {
  readonly start: number;
  readonly end: number;
  /** Byte position in the log where the request's session begins (attribution by time). */
  readonly position: number;
  /** The X-Reget-Run header (HTTP only): attribution by tag. */
  readonly tag?: string | undefined;
  /** Bytes the server reports sending for it, when it reports that. */
  readonly sentBytes?: number | undefined;
}

/** Bytes of the requests that lie below `onDisk`: what a run asked for again. */
export function bytesAskedAgain(requests: readonly LoggedRequest[], onDisk: number): number {
  let total = 0;
  for (const request of requests) total += Math.max(0, Math.min(request.end, onDisk) - request.start);
  return total;
}

/**
 * What a request's log line says the server sent: `[start, start + sentBytes)` where the server
 * reports a count (nginx, vsftpd), else the requested span when it is finite (sftp-server logs each
 * READ's offset and length). undefined when the log does not say yet: a RETR whose transfer line
 * vsftpd has not written, because the session is still closing.
 */
function loggedSpan(request: LoggedRequest): [number, number] | undefined {
  const end = request.sentBytes === undefined ? request.end : request.start + request.sentBytes;
  return Number.isFinite(end) ? [request.start, end] : undefined;
}

/** Bytes the requests' log lines say the server sent, in all (overlapping spans count twice). */
export function bytesLogged(requests: readonly LoggedRequest[]): number {
  let total = 0;
  for (const span of requests.map(loggedSpan)) if (span) total += span[1] - span[0];
  return total;
}

/**
 * Bytes of `[from, to)` inside what the requests' log lines say the server sent. A run that wrote
 * those bytes must have had them from the server: less means the log is empty or incomplete (or the
 * requests were attributed to the wrong run), and nothing read from it can be trusted.
 */
export function bytesLoggedWithin(requests: readonly LoggedRequest[], from: number, to: number): number {
  const spans = requests
    .map(loggedSpan)
    .filter((span) => span !== undefined)
    .map(([start, end]) => [Math.max(start, from), Math.min(end, to)] as const)
    .filter(([start, end]) => start < end)
    .sort((a, b) => a[0] - b[0]);
  let covered = 0;
  let reached = from;
  for (const [start, end] of spans) {
    if (end <= reached) continue;
    covered += end - Math.max(start, reached);
    reached = end;
  }
  return covered;
}

/** The log's text and the byte position of every line start. */
async function lines(path: string): Promise<{ text: string; position: number }[]> {
  const content = await readFile(path, 'utf8');
  const result: { text: string; position: number }[] = [];
  let position = 0;
  for (const text of content.split('\n')) {
    // sftp-server -e ends its lines with \r\n.
    result.push({ text: text.replace(/\r$/, ''), position });
    position += Buffer.byteLength(text) + 1;
  }
  return result;
}

const nginxLine = /^\S+ "(\w+) (\S+) HTTP\/[\d.]+" (\d+) (\d+) "([^"]*)" "([^"]*)"/;

/**
 * GET requests for `urlPath` in nginx's access log (format `reget` in nginx.conf). A request is
 * logged when it ends, so requests are attributed to runs by their X-Reget-Run tag.
 */
export async function nginxRequests(log: string, urlPath: string): Promise<LoggedRequest[]> {
  const requests: LoggedRequest[] = [];
  for (const line of await lines(log)) {
    const match = nginxLine.exec(line.text);
    if (match?.[1] !== 'GET' || match[2] !== urlPath) continue;
    const range = /^bytes=(\d+)-(\d*)$/.exec(match[5] ?? '');
    const start = range ? Number(range[1]) : 0;
    const end = range?.[2] ? Number(range[2]) + 1 : Number.POSITIVE_INFINITY;
    const tag = match[6] === '-' ? undefined : match[6];
    requests.push({ start, end, position: line.position, tag, sentBytes: Number(match[4]) });
  }
  return requests;
}

const vsftpdLine = /\[pid (\d+)\] (?:\[[^\]]*\] )?(.*)$/;

/**
 * RETR requests for `fileName` in vsftpd's protocol log (`log_ftp_protocol=YES`), each starting at
 * the REST offset sent before it in the same session. A session (one pid) is attributed to a run
 * by the position of its first line, its CONNECT, logged before the client can send anything.
 */
export async function vsftpdRequests(log: string, fileName: string): Promise<LoggedRequest[]> {
  const sessionStart = new Map<string, number>();
  const restOffset = new Map<string, number>();
  const requests: LoggedRequest[] = [];
  const pending: { pid: string; request: LoggedRequest }[] = [];
  for (const line of await lines(log)) {
    const match = vsftpdLine.exec(line.text);
    if (!match) continue;
    const pid = match[1] ?? '';
    const message = match[2] ?? '';
    if (!sessionStart.has(pid)) sessionStart.set(pid, line.position);
    const command = /^FTP command: Client "[^"]*", "(\w+) ?(.*)"$/.exec(message);
    if (command?.[1] === 'REST') restOffset.set(pid, Number(command[2]));
    if (command?.[1] === 'RETR') {
      const start = restOffset.get(pid) ?? 0;
      restOffset.delete(pid);
      if (command[2] === fileName || command[2]?.endsWith(`/${fileName}`)) {
        const request = { start, end: Number.POSITIVE_INFINITY, position: sessionStart.get(pid) ?? 0 };
        pending.push({ pid, request });
      }
    }
    const transfer = /(?:OK|FAIL) DOWNLOAD: Client "[^"]*", "([^"]*)", (\d+) bytes/.exec(message);
    if (transfer && (transfer[1] === fileName || transfer[1]?.endsWith(`/${fileName}`))) {
      const index = pending.findIndex((entry) => entry.pid === pid);
      if (index >= 0) {
        const [entry] = pending.splice(index, 1);
        if (entry) requests.push({ ...entry.request, sentBytes: Number(transfer[2]) });
      }
    }
  }
  // RETRs whose transfer line is not written yet (the session is still closing).
  requests.push(...pending.map((entry) => entry.request));
  return requests;
}

const sftpRead = /^debug1: request \d+: read "([^"]*)" \(handle \d+\) off (\d+) len (\d+)$/;

/**
 * READ requests for `path` in sftp-server's log (level DEBUG). Lines carry no session id, so each
 * is attributed by its own position; a killed client's last READs, served after the kill, are for
 * offsets past what it had written, so they never count as asked again by the next run.
 */
export async function sftpRequests(log: string, path: string): Promise<LoggedRequest[]> {
  const requests: LoggedRequest[] = [];
  for (const line of await lines(log)) {
    const match = sftpRead.exec(line.text);
    if (!match || match[1] !== path) continue;
    const start = Number(match[2]);
    requests.push({ start, end: start + Number(match[3]), position: line.position });
  }
  return requests;
}

import { Socket } from 'node:net';
import { connect as connectTls, TLSSocket } from 'node:tls';
import { type FTPContext, FTPError, type FTPResponse, type TransferStrategy } from 'basic-ftp';

/**
 * A passive-mode strategy for basic-ftp that always connects the data channel to the control
 * connection's address. EPSV (RFC 2428) carries only a port; when the server refuses it, PASV is
 * used and the address in its reply is ignored: trusting it allows FTP bounce and leaks traffic
 * to a third host (FAULTS FTP-09, curl CVE-2020-8284). basic-ftp's own PASV strategy refuses a
 * different address instead, which breaks servers behind NAT that announce a private one.
 */
export function passiveStrategy(): TransferStrategy {
  let useEpsv = true;
  return async (ftp) => {
    let response: FTPResponse | undefined;
    let port: number | undefined;
    if (useEpsv) {
      try {
        response = await ftp.request('EPSV');
        port = parseEpsvPort(response.message);
      } catch (error) {
        if (!(error instanceof FTPError)) throw error;
        useEpsv = false;
      }
    }
    if (port === undefined) {
      response = await ftp.request('PASV');
      port = parsePasvPort(response.message);
    }
    if (port === undefined || response === undefined) {
      throw new FTPError({ code: 502, message: 'Unusable passive-mode reply.' });
    }
    const host = ftp.socket.remoteAddress;
    if (host === undefined) throw new Error('The control connection is closed.');
    await connectData(ftp, host, port);
    return response;
  };
}

/**
 * The port of an EPSV reply (RFC 2428 §3: `229 Entering Extended Passive Mode (|||port|)`, any
 * printable delimiter), or undefined when there is none from 1 to 65535. Exported for tests.
 */
export function parseEpsvPort(message: string): number | undefined {
  const match = /\(([!-~])\1\1([0-9]{1,5})\1\)/.exec(message);
  return validPort(match?.[2]);
}

/**
 * The port of a PASV reply (RFC 959 §4.1.2: `227 … (h1,h2,h3,h4,p1,p2)`, port p1 × 256 + p2); the
 * address is ignored (see {@link passiveStrategy}). Undefined when a number is above 255 or the
 * port is 0. Exported for tests.
 */
export function parsePasvPort(message: string): number | undefined {
  const match = /([0-9]{1,3}),([0-9]{1,3}),([0-9]{1,3}),([0-9]{1,3}),([0-9]{1,3}),([0-9]{1,3})/.exec(message);
  if (match?.[5] === undefined || match[6] === undefined) return undefined;
  const high = Number(match[5]);
  const low = Number(match[6]);
  return high > 255 || low > 255 ? undefined : validPort(String(high * 256 + low));
}

function validPort(text: string | undefined): number | undefined {
  const port = Number(text);
  return text !== undefined && Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
}

/**
 * Opens the data connection and hands it to basic-ftp. Over TLS it resumes the control
 * connection's session (servers may demand it, RFC 4217 §10.2) with the same options, so the
 * certificate is verified against the same name and CA as the control connection.
 */
function connectData(ftp: FTPContext, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const raw = new Socket();
    const fail = (error: Error) => {
      raw.destroy();
      reject(error);
    };
    raw.setTimeout(ftp.timeout, () =>
      fail(Object.assign(new Error('Timeout (data connection)'), { code: 'ETIMEDOUT' })),
    );
    raw.once('error', fail);
    raw.connect({ host, port }, () => {
      raw.setTimeout(0);
      raw.removeListener('error', fail);
      let socket: Socket = raw;
      if (ftp.socket instanceof TLSSocket) {
        const session = ftp.tlsSessionStore ?? ftp.socket.getSession();
        const secure = connectTls({ ...ftp.tlsOptions, socket: raw, session });
        // TLS 1.3 tickets are single-use: keep the newest one for the next data connection.
        secure.on('session', (ticket: Buffer) => {
          ftp.tlsSessionStore = ticket;
        });
        socket = secure;
      }
      ftp.dataSocket = socket;
      resolve();
    });
  });
}

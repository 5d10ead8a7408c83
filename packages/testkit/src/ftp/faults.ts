import type { ServerFaults } from '../conformance/target.js';
import type { TestCertificate } from './certificate.js';

/** A final reply the server can send for a RETR instead of the truthful one. */
export type FtpFinalReply = 226 | 421 | 426 | 451;

/**
 * Faults of the embedded FTP server (docs/faults.md FTP-01..09, NET-01..03), on top of the shared
 * {@link ServerFaults}: `dropAfterBytes` ends the data connection early, `ignoreRange` answers REST
 * with 350 and then sends from byte 0, `refuseRange` answers REST with 502, `stallAfterBytes` stops
 * sending but keeps the data connection open.
 */
export interface FtpFaults extends ServerFaults {
  /**
   * Final reply after a data connection cut by `dropAfterBytes`. Default 226: a server that hides the
   * cut, so only counting the bytes reveals it. 421 also closes the control connection.
   */
  readonly dropReply?: FtpFinalReply | undefined;
  /** Final reply to every RETR that sent all its bytes, instead of 226. 421 also closes the control connection. */
  readonly finalReply?: FtpFinalReply | undefined;
  /** No final reply at all after a RETR that sent all its bytes (the control connection stays silent). */
  readonly noFinalReply?: boolean | undefined;
  /** SIZE is not implemented (500) and missing from FEAT. */
  readonly noSize?: boolean | undefined;
  /** SIZE answers in a malformed way: `213 file: 213, Size =<n>`. */
  readonly oddSize?: boolean | undefined;
  /** SIZE answers this text after `213 ` instead of the real size (e.g. a 20-digit number). */
  readonly sizeReply?: string | undefined;
  /** MDTM is not implemented (500) and missing from FEAT. */
  readonly noMdtm?: boolean | undefined;
  /** FEAT does not list `REST STREAM` (REST itself still works unless `refuseRange`). */
  readonly noRestStream?: boolean | undefined;
  /** EPSV is refused (500), so a client has to use PASV. */
  readonly noEpsv?: boolean | undefined;
  /** The IPv4 address PASV announces instead of the server's own (a client must not trust it). */
  readonly pasvHost?: string | undefined;
  /** Clear-text replies sent right after `234` in the same packet, before TLS starts (CVE-2021-22947). */
  readonly pipelineAfterAuth?: string | undefined;
  /** AUTH TLS is refused (502) although the server was started with TLS. */
  readonly refuseAuthTls?: boolean | undefined;
  /** Data connections under PROT P present this certificate instead of the control connection's. */
  readonly dataCertificate?: TestCertificate | undefined;
  /** Data connections under PROT P must resume the control connection's TLS session (else 425). */
  readonly requireSessionReuse?: boolean | undefined;
  /** Commands that are never answered (upper case, e.g. `SIZE`); `GREETING` withholds the 220 greeting. */
  readonly silent?: readonly string[] | undefined;
}

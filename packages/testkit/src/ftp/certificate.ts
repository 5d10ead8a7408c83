import { generate } from 'selfsigned';

/** A PEM certificate and its private key. */
export interface TestCertificate {
  /** The certificate, PEM. Also what a client passes as `ca` to trust it. */
  readonly cert: string;
  /** The private key, PEM. */
  readonly key: string;
}

/**
 * Generates a fresh self-signed certificate for `localhost`, `127.0.0.1` and `::1`, valid for one day.
 * Each call makes a new key, so a second certificate is a handy "wrong CA" for tests.
 */
export async function generateTestCertificate(): Promise<TestCertificate> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(notBeforeDate.getTime() + 24 * 60 * 60 * 1000);
  // EC keys take milliseconds to generate where RSA takes a noticeable fraction of a second.
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      // Marked as a CA so that the certificate can be its own trust anchor in a client's `ca` list.
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/**
 * Parses a byte count from the wire with a strict digits-only grammar (FAULTS SEC-08): no sign,
 * no spaces, no `12abc`, nothing above Number.MAX_SAFE_INTEGER. Returns undefined for anything else.
 * Adapters use it for Content-Length, Content-Range positions, FTP SIZE and the like.
 */
export function parseByteCount(text: string): number | undefined {
  if (!/^[0-9]{1,16}$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

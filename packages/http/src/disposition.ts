// ext-value = charset "'" [ language ] "'" value-chars (RFC 8187 §3.2.1)
const extendedValue = /^([A-Za-z0-9!#$&+\-^_`{}~]+)'[A-Za-z0-9-]*'(.*)$/;

/** Splits `a=1; b="x;y"` into parameters, honouring quoted strings and backslash escapes. */
function parameters(header: string): Map<string, string> {
  const result = new Map<string, string>();
  const pattern = /;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (const match of header.matchAll(pattern)) {
    const name = match[1]!.toLowerCase();
    const value = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3]!.trim();
    if (!result.has(name)) result.set(name, value);
  }
  return result;
}

function decodeExtendedValue(value: string): string | undefined {
  const match = extendedValue.exec(value);
  if (!match) return undefined;
  const charset = match[1]!.toLowerCase();
  try {
    if (charset === 'utf-8') return decodeURIComponent(match[2]!);
    if (charset === 'iso-8859-1') {
      return match[2]!.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) =>
        String.fromCharCode(Number.parseInt(hex, 16)),
      );
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * The file name a `Content-Disposition` header suggests (RFC 6266 §4.3: `filename*` wins over
 * `filename`), or undefined. The result is untrusted text: core reduces it to a safe base name, and
 * only when the caller opted in (FAULTS SEC-01).
 */
export function fileNameFromDisposition(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const params = parameters(header.replace(/^[^;]*/, ''));
  const extended = params.get('filename*');
  const decoded = extended === undefined ? undefined : decodeExtendedValue(extended);
  const name = decoded ?? params.get('filename');
  return name === undefined || name === '' ? undefined : name;
}

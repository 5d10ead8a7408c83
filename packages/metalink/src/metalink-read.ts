import { ErrorCode, RegetError } from '@reget/core';
import { type RawSource, resolveReference } from './sources.js';
import { quote } from './untrusted.js';
import type { XmlElement, XmlShape } from './xml.js';

/** RFC 5854 (Metalink 4, `.meta4`). */
export const metalink4Namespace = 'urn:ietf:params:xml:ns:metalink';
/** Metalink 3.0 (`.metalink`). */
export const metalink3Namespace = 'http://www.metalinker.org/';

const metalinkAttributes: ReadonlySet<string> = new Set([
  'name',
  'type',
  'length',
  'priority',
  'location',
  'mediatype',
  'preference',
  'piece',
]);
// Where each element the readers use may appear, in either version; nothing else is kept.
const allowedChildren: ReadonlyMap<string, readonly string[]> = new Map([
  ['metalink', ['file', 'files']],
  ['files', ['file']],
  ['file', ['size', 'hash', 'pieces', 'url', 'metaurl', 'verification', 'resources']],
  ['verification', ['hash', 'pieces']],
  ['pieces', ['hash']],
  ['resources', ['url']],
]);

/** The part of a document the Metalink readers look at, for {@link readXml}, with an element cap. */
export const metalinkShape = (maxElements: number): XmlShape => ({
  keeps: (parent, namespace, name) =>
    namespace === parent.namespace &&
    (namespace === metalink4Namespace || namespace === metalink3Namespace) &&
    (allowedChildren.get(parent.name)?.includes(name) ?? false),
  attributes: metalinkAttributes,
  maxElements,
});

/** A `<hash>` as written: its type attribute and text. */
export interface RawHash {
  readonly type: string | undefined;
  readonly text: string;
}

/** A `<pieces>` as written. `index` is Metalink 3's `piece` attribute. */
export interface RawPieces {
  readonly type: string | undefined;
  readonly length: string | undefined;
  readonly hashes: readonly { readonly index: string | undefined; readonly text: string }[];
}

/** A `<file>` as written, before any check: the same shape for both versions. */
export interface RawFile {
  readonly name: string | undefined;
  readonly sizes: readonly string[];
  readonly hashes: readonly RawHash[];
  readonly pieces: readonly RawPieces[];
  readonly sources: readonly RawSource[];
}

/** A Metalink document reduced to its files, as written. */
export interface RawMetalink {
  readonly version: 3 | 4;
  readonly files: readonly RawFile[];
}

/**
 * Reads the files out of a parsed Metalink document of either version. Elements of other
 * namespaces, and Metalink elements reget has no use for (signatures, descriptions, publishers), are
 * ignored, as both specifications ask of a processor that meets markup it does not know.
 */
export function readMetalink(root: XmlElement, baseUrl: string | undefined, what: string): RawMetalink {
  if (root.name === 'metalink' && root.namespace === metalink4Namespace) {
    const base = resolveBase(root, baseUrl);
    return {
      version: 4,
      files: childrenOf(root, metalink4Namespace, 'file').map((file) => readFile4(file, base)),
    };
  }
  if (root.name === 'metalink' && root.namespace === metalink3Namespace) {
    const base = resolveBase(root, baseUrl);
    const files = childrenOf(root, metalink3Namespace, 'files').flatMap((list) => {
      const listBase = resolveBase(list, base);
      return childrenOf(list, metalink3Namespace, 'file').map((file) => readFile3(file, listBase));
    });
    return { version: 3, files };
  }
  const found =
    root.namespace === '' ? quote(root.name) : `${quote(root.name)} in namespace ${quote(root.namespace)}`;
  throw new RegetError(
    ErrorCode.BAD_INPUT,
    `${what} is neither Metalink 4 nor Metalink 3: its root element is ${found}; expected <metalink> in ${metalink4Namespace} (Metalink 4) or ${metalink3Namespace} (Metalink 3).`,
    { details: { metalink: 'not-metalink' } },
  );
}

function readFile4(file: XmlElement, parentBase: string | undefined): RawFile {
  const base = resolveBase(file, parentBase);
  const own = (name: string) => childrenOf(file, metalink4Namespace, name);
  return {
    name: file.attributes.get('name'),
    sizes: own('size').map((size) => size.text),
    hashes: own('hash').map((hash) => ({ type: hash.attributes.get('type'), text: hash.text })),
    pieces: own('pieces').map((pieces) => ({
      type: pieces.attributes.get('type'),
      length: pieces.attributes.get('length'),
      hashes: childrenOf(pieces, metalink4Namespace, 'hash').map((hash) => ({
        index: undefined,
        text: hash.text,
      })),
    })),
    sources: file.children
      .filter(
        (child) =>
          child.namespace === metalink4Namespace && (child.name === 'url' || child.name === 'metaurl'),
      )
      .map((child) => ({
        kind: child.name === 'url' ? 'url' : 'metaurl',
        text: child.text,
        base: resolveBase(child, base),
        priority: child.attributes.get('priority'),
        scale: 'priority',
        location: child.attributes.get('location'),
        mediaType: child.attributes.get('mediatype'),
      })),
  };
}

function readFile3(file: XmlElement, parentBase: string | undefined): RawFile {
  const base = resolveBase(file, parentBase);
  const verifications = childrenOf(file, metalink3Namespace, 'verification');
  const within = (parents: XmlElement[], name: string) =>
    parents.flatMap((parent) => childrenOf(parent, metalink3Namespace, name));
  const resources = childrenOf(file, metalink3Namespace, 'resources');
  return {
    name: file.attributes.get('name'),
    sizes: childrenOf(file, metalink3Namespace, 'size').map((size) => size.text),
    hashes: within(verifications, 'hash').map((hash) => ({
      type: hash.attributes.get('type'),
      text: hash.text,
    })),
    pieces: within(verifications, 'pieces').map((pieces) => ({
      type: pieces.attributes.get('type'),
      length: pieces.attributes.get('length'),
      hashes: childrenOf(pieces, metalink3Namespace, 'hash').map((hash) => ({
        index: hash.attributes.get('piece'),
        text: hash.text,
      })),
    })),
    sources: resources.flatMap((list) => {
      const listBase = resolveBase(list, base);
      return childrenOf(list, metalink3Namespace, 'url').map((url): RawSource => {
        // Metalink 3 lists a torrent as a URL of type "bittorrent"; Metalink 4 made that <metaurl>.
        const isTorrent = url.attributes.get('type')?.trim().toLowerCase() === 'bittorrent';
        return {
          kind: isTorrent ? 'metaurl' : 'url',
          text: url.text,
          base: resolveBase(url, listBase),
          priority: url.attributes.get('preference'),
          scale: 'preference',
          location: url.attributes.get('location'),
          mediaType: isTorrent ? 'torrent' : undefined,
        };
      });
    }),
  };
}

function childrenOf(element: XmlElement, namespace: string, name: string): XmlElement[] {
  return element.children.filter((child) => child.namespace === namespace && child.name === name);
}

/** The base URL in force inside `element`: its `xml:base` resolved against its parent's (RFC 3986 §5.1.1). */
function resolveBase(element: XmlElement, parentBase: string | undefined): string | undefined {
  return element.base === undefined ? parentBase : resolveReference(element.base, parentBase);
}

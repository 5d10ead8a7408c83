import { ErrorCode, isRegetError, RegetError } from '@reget/core';
import { SaxesParser } from 'saxes';

const xmlNamespace = 'http://www.w3.org/XML/1998/namespace';

/** One element kept from a parsed document: only what the Metalink readers look at. */
export interface XmlElement {
  /** The namespace URI the element's prefix resolved to ('' for none). */
  readonly namespace: string;
  /** The local name, without prefix. */
  readonly name: string;
  /** The kept attributes in no namespace, by local name (Metalink's own are all unprefixed). */
  readonly attributes: ReadonlyMap<string, string>;
  /** The element's `xml:base`, as written. */
  readonly base: string | undefined;
  readonly children: XmlElement[];
  /** The element's own text and CDATA, children's excluded. */
  text: string;
}

/** Which elements and attributes {@link readXml} keeps. */
export interface XmlShape {
  /** Whether an element named `name` in `namespace` is kept under the kept element `parent`. */
  readonly keeps: (parent: XmlElement, namespace: string, name: string) => boolean;
  /** The attributes in no namespace worth keeping. */
  readonly attributes: ReadonlySet<string>;
  /** More kept elements than this are refused (`details.metalink` `too-large`). */
  readonly maxElements: number;
}

const noAttributes: ReadonlyMap<string, string> = new Map();

/**
 * Parses `xml` into a tree of the elements `shape` keeps (the root always), with namespaces
 * resolved, or throws BAD_INPUT (with `details.metalink` `not-xml`, `doctype` or `too-large`).
 *
 * Everything else is dropped as it streams past, children included: a 16 MiB flood of `<x/>` would
 * otherwise become millions of objects, about 1.3 GB of memory. A flood of elements that are kept
 * (`<url/>`) is stopped by `shape.maxElements`.
 *
 * A document type declaration is refused as soon as the parser meets it, before anything it
 * declares could be used: internal entities are how "billion laughs" multiplies a few bytes into
 * gigabytes, external ones how XXE reads local files, and a Metalink has no use for either. (saxes
 * expands no entity beyond the five predefined ones and character references anyway; the refusal
 * makes that explicit.)
 */
export function readXml(xml: string, what: string, shape: XmlShape): XmlElement {
  const parser = new SaxesParser({ xmlns: true, position: true });
  // One entry per open element; undefined for one that is not kept.
  const open: (XmlElement | undefined)[] = [];
  let root: XmlElement | undefined;
  let kept = 0;

  parser.on('doctype', () => {
    throw new RegetError(
      ErrorCode.BAD_INPUT,
      `${what} has a DOCTYPE declaration, refused because its entities can expand without bound or read local files; a Metalink never needs one.`,
      { details: { metalink: 'doctype' } },
    );
  });
  parser.on('opentag', (tag) => {
    const parent = open.at(-1);
    const isKept = root === undefined || (parent !== undefined && shape.keeps(parent, tag.uri, tag.local));
    if (!isKept) {
      open.push(undefined);
      return;
    }
    kept += 1;
    if (kept > shape.maxElements) {
      throw new RegetError(
        ErrorCode.BAD_INPUT,
        `${what} has more than ${shape.maxElements} files, hashes and URLs; raise maxElements if it is really that big.`,
        { details: { metalink: 'too-large' } },
      );
    }
    let attributes = noAttributes;
    let base: string | undefined;
    for (const attribute of Object.values(tag.attributes)) {
      if (attribute.uri === '' && shape.attributes.has(attribute.local)) {
        if (attributes === noAttributes) attributes = new Map();
        (attributes as Map<string, string>).set(attribute.local, attribute.value);
      } else if (attribute.uri === xmlNamespace && attribute.local === 'base') {
        base = attribute.value;
      }
    }
    const element: XmlElement = {
      namespace: tag.uri,
      name: tag.local,
      attributes,
      base,
      children: [],
      text: '',
    };
    if (parent) parent.children.push(element);
    else root = element;
    open.push(element);
  });
  parser.on('closetag', () => {
    open.pop();
  });
  const addText = (text: string) => {
    const current = open.at(-1);
    if (current) current.text += text;
  };
  parser.on('text', addText);
  parser.on('cdata', addText);

  try {
    parser.write(xml).close();
  } catch (error) {
    if (isRegetError(error)) throw error;
    // saxes prefixes "line:column: "; the position is said in words instead.
    const reason = (error instanceof Error ? error.message : String(error))
      .replace(/^\d+:\d+: /, '')
      .replace(/[.\s]+$/, '')
      .replace(/\s+/g, ' ')
      // Some of saxes' messages quote the input (an unbound prefix); keep the sentence short.
      .slice(0, 200);
    throw new RegetError(
      ErrorCode.BAD_INPUT,
      `${what} is not well-formed XML: ${reason} (line ${parser.line}, column ${parser.column}).`,
      { cause: error, details: { metalink: 'not-xml' } },
    );
  }
  if (root === undefined) {
    throw new RegetError(ErrorCode.BAD_INPUT, `${what} has no root element.`, {
      details: { metalink: 'not-xml' },
    });
  }
  return root;
}

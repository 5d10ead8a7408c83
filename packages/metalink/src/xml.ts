import { ErrorCode, isRegetError, RegetError } from '@reget/core';
import { SaxesParser } from 'saxes';

const xmlNamespace = 'http://www.w3.org/XML/1998/namespace';

/** One element of a parsed document: only what the Metalink readers look at. */
export interface XmlElement {
  /** The namespace URI the element's prefix resolved to ('' for none). */
  readonly namespace: string;
  /** The local name, without prefix. */
  readonly name: string;
  /** Attributes in no namespace, by local name (Metalink's own attributes are all unprefixed). */
  readonly attributes: ReadonlyMap<string, string>;
  /** The element's `xml:base`, as written. */
  readonly base: string | undefined;
  readonly children: XmlElement[];
  /** The element's own text and CDATA, children's excluded. */
  text: string;
}

/**
 * Parses `xml` into a tree of elements with namespaces resolved, or throws BAD_INPUT (with
 * `details.metalink` `not-xml` or `doctype`). A document
 * type declaration is refused as soon as the parser meets it, before anything it declares could be
 * used: internal entities are how "billion laughs" multiplies a few bytes into gigabytes, external
 * ones how XXE reads local files, and a Metalink has no use for either. (saxes expands no entity
 * beyond the five predefined ones and character references anyway; the refusal makes that explicit.)
 */
export function readXml(xml: string, what: string): XmlElement {
  const parser = new SaxesParser({ xmlns: true, position: true });
  const open: XmlElement[] = [];
  let root: XmlElement | undefined;

  parser.on('doctype', () => {
    throw new RegetError(
      ErrorCode.BAD_INPUT,
      `${what} has a DOCTYPE declaration, refused because its entities can expand without bound or read local files; a Metalink never needs one.`,
      { details: { metalink: 'doctype' } },
    );
  });
  parser.on('opentag', (tag) => {
    const attributes = new Map<string, string>();
    let base: string | undefined;
    for (const attribute of Object.values(tag.attributes)) {
      if (attribute.uri === '') attributes.set(attribute.local, attribute.value);
      else if (attribute.uri === xmlNamespace && attribute.local === 'base') base = attribute.value;
    }
    const element: XmlElement = {
      namespace: tag.uri,
      name: tag.local,
      attributes,
      base,
      children: [],
      text: '',
    };
    const parent = open.at(-1);
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

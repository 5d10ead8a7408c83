import fc from 'fast-check';

// Characters that trip parsers: line breaks and NUL, separators, signs, look-alike digits,
// invisible and bidirectional marks, a lone surrogate, and the characters of URLs and headers.
const awkwardCharacters = [
  '\0',
  '\t',
  '\n',
  '\r',
  '\v',
  '\f',
  '\x1b',
  '\x7f',
  '\u0085',
  '\u00a0',
  '\u2028',
  '\u2029',
  '\u200b',
  '\u202e',
  '\ufeff',
  '\ud800',
  '\udfff',
  '\uff11',
  '\u0663',
  ' ',
  '-',
  '+',
  '.',
  ',',
  ';',
  ':',
  '=',
  '*',
  '/',
  '\\',
  '%',
  '@',
  '#',
  '?',
  '[',
  ']',
  '"',
  "'",
  '~',
  'e',
  '0',
  '9',
];

/** One character from the list of those that most often break a hand-written parser. */
export const awkwardCharacter: fc.Arbitrary<string> = fc.constantFrom(...awkwardCharacters);

/** One code point of any kind. */
const anyCharacter = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 });

/**
 * 1,000 to 10,000 characters: a short run of characters repeated, between a random start and end.
 * Repetition is what drives a backtracking regular expression out of control, and it costs far
 * less to generate than as many random characters.
 */
const longText = fc
  .record({
    start: fc.string({ unit: fc.oneof(awkwardCharacter, anyCharacter), maxLength: 20 }),
    run: fc.string({ unit: fc.oneof(awkwardCharacter, anyCharacter), minLength: 1, maxLength: 12 }),
    length: fc.integer({ min: 1_000, max: 10_000 }),
    end: fc.string({ unit: fc.oneof(awkwardCharacter, anyCharacter), maxLength: 20 }),
  })
  .map(
    ({ start, run, length, end }) =>
      `${start}${run.repeat(Math.ceil(length / run.length))}`.slice(0, length) + end,
  );

/**
 * Any text at all: short strings of any code points, ASCII, awkward characters, a mix of them, and
 * now and then a long one (1,000 to 10,000 characters) to catch slow regular expressions.
 */
export const anyText: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ unit: 'binary', maxLength: 80 }), weight: 3 },
  { arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 80 }), weight: 3 },
  { arbitrary: fc.string({ unit: awkwardCharacter, maxLength: 40 }), weight: 3 },
  {
    arbitrary: fc.string({
      unit: fc.oneof(awkwardCharacter, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })),
      maxLength: 60,
    }),
    weight: 2,
  },
  { arbitrary: longText, weight: 1 },
);

/** One edit of a valid input: positions are fractions of its length, so they fit any input. */
type Edit =
  | { readonly kind: 'insert'; readonly at: number; readonly text: string }
  | { readonly kind: 'delete'; readonly at: number; readonly length: number }
  | { readonly kind: 'replace'; readonly at: number; readonly text: string }
  | { readonly kind: 'repeat'; readonly at: number; readonly length: number; readonly times: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'swap-case' }
  | { readonly kind: 'big-number'; readonly text: string };

// Unbiased: fast-check's bias towards 0 and 1 would put almost every edit at the very start or end.
const fraction = fc.noBias(fc.double({ min: 0, max: 1, noNaN: true }));
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({
    kind: fc.constant('insert' as const),
    at: fraction,
    text: fc.string({ unit: awkwardCharacter, minLength: 1, maxLength: 3 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fraction, length: fc.integer({ min: 1, max: 4 }) }),
  fc.record({
    kind: fc.constant('replace' as const),
    at: fraction,
    text: fc.oneof(awkwardCharacter, anyCharacter),
  }),
  fc.record({
    kind: fc.constant('repeat' as const),
    at: fraction,
    length: fc.integer({ min: 1, max: 8 }),
    // A few times (a doubled digit or separator), or enough to stress a backtracking expression.
    times: fc.oneof(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 100, max: 2_000 })),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fraction }),
  fc.record({ kind: fc.constant('swap-case' as const) }),
  fc.record({
    kind: fc.constant('big-number' as const),
    text: fc.constantFrom(
      '-1',
      '0',
      '00',
      '9007199254740992',
      '99999999999999999999',
      '1e3',
      '0x10',
      '1.5',
      '٣',
    ),
  }),
);

// Longer than any parser needs to see; a repeated slice is capped here.
const maximumLength = 10_000;

function applyEdit(text: string, change: Edit): string {
  if (change.kind === 'swap-case') {
    return [...text]
      .map((char) => (char === char.toUpperCase() ? char.toLowerCase() : char.toUpperCase()))
      .join('');
  }
  if (change.kind === 'big-number') {
    // Replaces one run of digits, so numbers in a valid frame become signed, huge or foreign.
    return text.replace(/[0-9]+/, change.text);
  }
  const at = Math.floor(change.at * text.length);
  switch (change.kind) {
    case 'insert':
      return text.slice(0, at) + change.text + text.slice(at);
    case 'delete':
      return text.slice(0, at) + text.slice(at + change.length);
    case 'replace':
      return text.slice(0, at) + change.text + text.slice(at + 1);
    case 'repeat': {
      const slice = text.slice(at, at + change.length);
      const times = slice === '' ? 0 : Math.min(change.times, Math.floor(maximumLength / slice.length));
      return text.slice(0, at) + slice.repeat(times) + text.slice(at + change.length);
    }
    case 'truncate':
      return text.slice(0, at);
  }
}

/**
 * Inputs near the valid ones: a valid input with one to three edits (characters inserted, deleted
 * or replaced, a slice repeated up to 10,000 characters, the end cut, the case swapped, a number
 * made signed or huge). These reach the parser's later checks, which random text rarely does.
 */
export function nearValid(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(valid, fc.array(edit, { minLength: 1, maxLength: 3 }))
    .map(([text, edits]) => edits.reduce(applyEdit, text));
}

/** {@link anyText} and {@link nearValid} inputs in equal measure, plus the valid ones themselves. */
export function untrustedText(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: anyText, weight: 2 },
    { arbitrary: nearValid(valid), weight: 2 },
    { arbitrary: valid, weight: 1 },
  );
}

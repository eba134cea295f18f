/**
 * Translates the Oniguruma patterns found in tokenizer.json (Split pre-tokenizers, Replace
 * normalizers and decoders) into JavaScript `u`-flag RegExps that match the same text.
 *
 * The differences that matter for tokenizers: Oniguruma's `\s`, `\d`, `\w` are Unicode-aware
 * (JavaScript's `\d` and `\w` are ASCII, its `\s` includes U+FEFF and misses U+0085),
 * `(?i:...)` groups (JavaScript has no inline flags before ES2025), possessive quantifiers
 * and atomic groups, `\p{Han}` script names, `.` that only excludes `\n`, and identity
 * escapes such as `\'` that `u` mode rejects.
 */
import { tokenizerJsonError } from './json-fields';

const WHITESPACE = '\\p{White_Space}';
const NOT_WHITESPACE = '\\P{White_Space}';
const WORD = '\\p{L}\\p{M}\\p{N}\\p{Pc}';
const WORD_CLASS = `[${WORD}]`;
const SYNTAX = new Set([
  '^',
  '$',
  '\\',
  '.',
  '*',
  '+',
  '?',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  '|',
  '/',
]);

const cache = new Map<string, RegExp>();

/** Compiles an Oniguruma pattern to a global JavaScript RegExp (cached per source). */
export function compileOnigRegex(source: string, path = 'pattern'): RegExp {
  const cached = cache.get(source);
  if (cached) return new RegExp(cached);
  const translated = translateOnigPattern(source, path);
  let regex: RegExp;
  try {
    regex = new RegExp(translated, 'gmu');
  } catch (error) {
    throw tokenizerJsonError(
      path,
      `has the regular expression ${JSON.stringify(source)}, which could not be translated to JavaScript (${(error as Error).message}).`,
      error,
    );
  }
  cache.set(source, regex);
  return new RegExp(regex);
}

/** Escapes a literal string for use in a `u`-flag RegExp. */
export function escapeRegex(literal: string): string {
  return literal.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

function caseVariants(char: string): string[] {
  const variants = new Set([char]);
  const lower = char.toLowerCase();
  const upper = char.toUpperCase();
  if ([...lower].length === 1) variants.add(lower);
  if ([...upper].length === 1) variants.add(upper);
  // Unicode simple case folding maps these onto ASCII letters; Oniguruma follows it.
  if (lower === 's') variants.add('\u017f');
  if (lower === 'k') variants.add('\u212a');
  if (lower === '\u00e5') variants.add('\u212b');
  return [...variants];
}

function classLiteral(char: string): string {
  return char === '\\' || char === ']' || char === '[' || char === '^' || char === '-'
    ? `\\${char}`
    : char;
}

function translateProperty(name: string, negated: boolean, path: string): string {
  let body = name;
  let negate = negated;
  if (body.startsWith('^')) {
    body = body.slice(1);
    negate = !negate;
  }
  const candidates = [body, `Script=${body}`, body[0]!.toUpperCase() + body.slice(1)];
  for (const candidate of candidates) {
    try {
      new RegExp(`\\p{${candidate}}`, 'u');
      return `\\${negate ? 'P' : 'p'}{${candidate}}`;
    } catch {
      // try the next spelling
    }
  }
  throw tokenizerJsonError(
    path,
    `uses the Unicode property \\p{${name}}, which JavaScript does not know.`,
  );
}

interface Frame {
  caseInsensitive: boolean;
  atomic: string | null;
  /** Output index where the group starts (for a quantifier after it). */
  start: number;
}

/** Translates the pattern text; exported for tests. */
export function translateOnigPattern(source: string, path = 'pattern'): string {
  let out = '';
  let index = 0;
  let atomicCounter = 0;
  const frames: Frame[] = [{ caseInsensitive: false, atomic: null, start: 0 }];
  let lastAtomStart = -1;
  const unsupported = (what: string): never => {
    throw tokenizerJsonError(
      path,
      `has the regular expression ${JSON.stringify(source)}, which uses ${what}; llmr cannot translate that to JavaScript.`,
    );
  };
  const caseInsensitive = () => frames[frames.length - 1]!.caseInsensitive;

  const readEscapeOutside = (): string => {
    const char = source[index + 1];
    if (char === undefined) unsupported('a trailing backslash');
    index += 2;
    switch (char) {
      case 's':
        return WHITESPACE;
      case 'S':
        return NOT_WHITESPACE;
      case 'd':
        return '\\p{Nd}';
      case 'D':
        return '\\P{Nd}';
      case 'w':
        return WORD_CLASS;
      case 'W':
        return `[^${WORD}]`;
      case 'h':
        return '[0-9a-fA-F]';
      case 'H':
        return '[^0-9a-fA-F]';
      case 'b':
        return `(?:(?<=${WORD_CLASS})(?!${WORD_CLASS})|(?<!${WORD_CLASS})(?=${WORD_CLASS}))`;
      case 'B':
        return `(?:(?<=${WORD_CLASS})(?=${WORD_CLASS})|(?<!${WORD_CLASS})(?!${WORD_CLASS}))`;
      case 'A':
        return '(?<![\\s\\S])';
      case 'z':
        return '(?![\\s\\S])';
      case 'Z':
        return '(?=\\n?(?![\\s\\S]))';
      case 'R':
        return '(?:\\r\\n|[\\n\\v\\f\\r\\x85\\u2028\\u2029])';
      case 'e':
        return '\\x1b';
      case 'a':
        return '\\x07';
      default:
        return readCommonEscape(char!);
    }
  };

  /** Escapes that mean the same inside and outside a class. */
  const readCommonEscape = (char: string): string => {
    if (char === 'p' || char === 'P') {
      const close = source.indexOf('}', index);
      if (source[index] !== '{' || close < 0) unsupported(`\\${char} without {name}`);
      const name = source.slice(index + 1, close);
      index = close + 1;
      return translateProperty(name, char === 'P', path);
    }
    if (char === 'x') {
      if (source[index] === '{') {
        const close = source.indexOf('}', index);
        const hex = source.slice(index + 1, close);
        index = close + 1;
        return `\\u{${hex}}`;
      }
      const hex = source.slice(index, index + 2);
      index += 2;
      return `\\x${hex}`;
    }
    if (char === 'u') {
      const hex = source.slice(index, index + 4);
      index += 4;
      return `\\u${hex}`;
    }
    if ('nrtfv0'.includes(char)) return `\\${char}`;
    if (/[1-9]/.test(char)) return `\\${char}`;
    if (char === 'k') {
      const close = source.indexOf('>', index);
      const name = source.slice(index, close + 1);
      index = close + 1;
      return `\\k${name}`;
    }
    if (/[A-Za-z]/.test(char)) unsupported(`the escape \\${char}`);
    return SYNTAX.has(char) || char === '-' ? `\\${char}` : char;
  };

  const readClass = (): string => {
    // `index` is at '['.
    index++;
    let body = '';
    let negated = false;
    if (source[index] === '^') {
      negated = true;
      index++;
    }
    let first = true;
    for (;;) {
      const char = source[index];
      if (char === undefined) unsupported('an unterminated character class');
      if (char === ']' && !first) {
        index++;
        break;
      }
      first = false;
      if (char === '[') {
        const posix = /^\[:(\^?)([a-z]+):\]/.exec(source.slice(index));
        if (!posix) unsupported('a nested character class');
        const names: Record<string, string> = {
          alpha: '\\p{Alphabetic}',
          digit: '\\p{Nd}',
          alnum: '\\p{Alphabetic}\\p{Nd}',
          space: WHITESPACE,
          upper: '\\p{Lu}',
          lower: '\\p{Ll}',
          punct: '\\p{P}',
          word: WORD,
          xdigit: '0-9a-fA-F',
          cntrl: '\\p{Cc}',
        };
        const mapped = names[posix![2]!];
        if (!mapped || posix![1]) unsupported(`the POSIX class [:${posix![1]}${posix![2]}:]`);
        body += mapped;
        index += posix![0].length;
        continue;
      }
      if (char === '&' && source[index + 1] === '&') unsupported('a class intersection (&&)');
      if (char === '\\') {
        const next = source[index + 1];
        if (next === undefined) unsupported('a trailing backslash');
        index += 2;
        switch (next) {
          case 's':
            body += WHITESPACE;
            break;
          case 'S':
            body += NOT_WHITESPACE;
            break;
          case 'd':
            body += '\\p{Nd}';
            break;
          case 'D':
            body += '\\P{Nd}';
            break;
          case 'w':
            body += WORD;
            break;
          case 'W':
            body += '\\W';
            break;
          case 'h':
            body += '0-9a-fA-F';
            break;
          case 'b':
            body += '\\x08';
            break;
          default:
            body += readCommonEscape(next!);
        }
        continue;
      }
      const codePoint = source.codePointAt(index)!;
      const literal = String.fromCodePoint(codePoint);
      index += literal.length;
      if (caseInsensitive() && /\p{L}/u.test(literal)) {
        // A range of letters: add the other case's range too.
        if (source[index] === '-' && source[index + 1] !== ']' && source[index + 1] !== undefined) {
          const endPoint = source.codePointAt(index + 1)!;
          const end = String.fromCodePoint(endPoint);
          index += 1 + end.length;
          body += `${classLiteral(literal)}-${classLiteral(end)}`;
          const lowerStart = literal.toLowerCase();
          const upperStart = literal.toUpperCase();
          if (lowerStart !== literal) body += `${lowerStart}-${end.toLowerCase()}`;
          if (upperStart !== literal) body += `${upperStart}-${end.toUpperCase()}`;
          continue;
        }
        body += caseVariants(literal).map(classLiteral).join('');
        continue;
      }
      body += char === '-' ? '-' : classLiteral(literal);
    }
    return `[${negated ? '^' : ''}${body}]`;
  };

  while (index < source.length) {
    const char = source[index]!;
    if (char === '\\') {
      lastAtomStart = out.length;
      out += readEscapeOutside();
      continue;
    }
    if (char === '[') {
      lastAtomStart = out.length;
      out += readClass();
      continue;
    }
    if (char === '(') {
      const rest = source.slice(index);
      if (rest.startsWith('(?#')) {
        const close = source.indexOf(')', index);
        index = close < 0 ? source.length : close + 1;
        continue;
      }
      const flags = /^\(\?([imx]*)(?:-([imx]*))?(:|\))/.exec(rest);
      if (flags && (flags[1] || flags[2])) {
        if (flags[1]!.includes('x') || flags[1]!.includes('m'))
          unsupported(`the inline flags ${flags[0]}`);
        const on = flags[1]!.includes('i')
          ? true
          : flags[2]?.includes('i')
            ? false
            : caseInsensitive();
        index += flags[0].length;
        if (flags[3] === ')') {
          frames[frames.length - 1]!.caseInsensitive = on;
          continue;
        }
        frames.push({ caseInsensitive: on, atomic: null, start: out.length });
        out += '(?:';
        continue;
      }
      if (rest.startsWith('(?>')) {
        const name = `__atomic${atomicCounter++}`;
        frames.push({ caseInsensitive: caseInsensitive(), atomic: name, start: out.length });
        out += `(?=(?<${name}>`;
        index += 3;
        continue;
      }
      const named = /^\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
      if (named) {
        frames.push({ caseInsensitive: caseInsensitive(), atomic: null, start: out.length });
        out += `(?<${named[1]}>`;
        index += named[0].length;
        continue;
      }
      const special = /^\(\?(?::|=|!|<=|<!)/.exec(rest);
      frames.push({ caseInsensitive: caseInsensitive(), atomic: null, start: out.length });
      if (special) {
        out += special[0];
        index += special[0].length;
      } else {
        if (rest.startsWith('(?')) unsupported(`the group ${rest.slice(0, 4)}`);
        out += '(';
        index++;
      }
      continue;
    }
    if (char === ')') {
      if (frames.length <= 1) unsupported('an unbalanced ")"');
      const frame = frames.pop()!;
      out += frame.atomic ? `))\\k<${frame.atomic}>` : ')';
      lastAtomStart = frame.start;
      index++;
      continue;
    }
    if (char === '*' || char === '+' || char === '?' || char === '{') {
      let quantifier = char;
      if (char === '{') {
        const match = /^\{(\d*)(?:(,)(\d*))?\}/.exec(source.slice(index));
        if (!match || (match[1] === '' && match[3] === '') || (match[1] === '' && !match[2])) {
          lastAtomStart = out.length;
          out += '\\{';
          index++;
          continue;
        }
        quantifier = `{${match[1] === '' ? '0' : match[1]}${match[2] ?? ''}${match[3] ?? ''}}`;
        index += match[0].length;
      } else {
        index++;
      }
      if (source[index] === '?') {
        quantifier += '?';
        index++;
      } else if (source[index] === '+' && char !== '{') {
        // Possessive: emulate with an atomic lookahead and a back-reference.
        index++;
        if (lastAtomStart < 0) unsupported('a quantifier with nothing before it');
        const name = `__atomic${atomicCounter++}`;
        out = `${out.slice(0, lastAtomStart)}(?=(?<${name}>${out.slice(lastAtomStart)}${quantifier}))\\k<${name}>`;
        continue;
      }
      out += quantifier;
      continue;
    }
    if (char === '.') {
      lastAtomStart = out.length;
      out += '[^\\n]';
      index++;
      continue;
    }
    if (char === '}' || char === ']') {
      lastAtomStart = out.length;
      out += `\\${char}`;
      index++;
      continue;
    }
    if (char === '^' || char === '$' || char === '|') {
      out += char;
      index++;
      continue;
    }
    const codePoint = source.codePointAt(index)!;
    const literal = String.fromCodePoint(codePoint);
    index += literal.length;
    lastAtomStart = out.length;
    if (caseInsensitive() && /\p{L}/u.test(literal)) {
      const variants = caseVariants(literal);
      out += variants.length > 1 ? `[${variants.map(classLiteral).join('')}]` : literal;
      continue;
    }
    out += literal === '/' ? '\\/' : literal;
  }
  if (frames.length !== 1) unsupported('an unclosed "("');
  return out;
}

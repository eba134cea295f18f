/** Oniguruma patterns from tokenizer.json, translated to JavaScript, match what Oniguruma matches. */
import { describe, expect, it } from 'vitest';
import { compileOnigRegex, translateOnigPattern } from './onig-regex';

const split = (pattern: string, text: string) =>
  [...text.matchAll(compileOnigRegex(pattern))].map((match) => match[0]);

describe('translateOnigPattern', () => {
  it('gives \\s, \\d, \\w their Unicode meaning', () => {
    expect(split('\\s+', 'a\u0085b\ufeffc\u3000d')).toEqual(['\u0085', '\u3000']);
    expect(split('\\d+', 'x١٢٣y42')).toEqual(['١٢٣', '42']);
    expect(split('\\w+', 'héllo wörld_1')).toEqual(['héllo', 'wörld_1']);
    expect(split('[^\\s\\p{L}]+', 'ab, cd!')).toEqual([',', '!']);
  });

  it('expands (?i:...) with Unicode case folding', () => {
    expect(split("(?i:'s|'ll)", "'S 'Ll 'ſ 'LL")).toEqual(["'S", "'Ll", "'ſ", "'LL"]);
    expect(split('(?i)k', 'kK\u212a')).toEqual(['k', 'K', '\u212a']);
  });

  it('handles the Llama 3 / GPT-4 split pattern', () => {
    const pattern =
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    expect(split(pattern, "I'LL pay 12345 now!!\n\n  ok")).toEqual([
      'I',
      "'LL",
      ' pay',
      ' ',
      '123',
      '45',
      ' now',
      '!!\n\n',
      ' ',
      ' ok',
    ]);
  });

  it('emulates possessive quantifiers and atomic groups', () => {
    expect(split('a++b', 'aaab')).toEqual(['aaab']);
    expect(split('(?>a+)a', 'aaaa')).toEqual([]);
    expect(split('\\p{L}*+\\p{L}', 'abc')).toEqual([]);
  });

  it('keeps literals literal in u mode, and scripts by name', () => {
    expect(translateOnigPattern("\\'x\\-")).toBe("'x\\-");
    expect(split('a{,2}', 'aaa')).toEqual(['aa', 'a', '']);
    expect(split('\\p{Han}+', 'ab漢字cd')).toEqual(['漢字']);
    expect(split('x{y', 'x{y')).toEqual(['x{y']);
    expect(split('.', 'a\nb')).toEqual(['a', 'b']);
  });

  it('names what it cannot translate', () => {
    expect(() => compileOnigRegex('[a-z&&[^aeiou]]', 'pre_tokenizer.pattern.Regex')).toThrow(
      /pre_tokenizer\.pattern\.Regex.*class intersection/,
    );
  });
});

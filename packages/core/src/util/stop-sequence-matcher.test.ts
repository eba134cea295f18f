import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createStopSequenceMatcher } from './stop-sequence-matcher';

function run(text: string, cuts: number[], stops: string[]) {
  const matcher = createStopSequenceMatcher(stops);
  const points = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b);
  let out = '';
  let previous = 0;
  for (const point of [...points, text.length]) {
    const result = matcher.push(text.slice(previous, point));
    out += result.text;
    previous = point;
    if (result.stopped) return { out, stopped: true };
  }
  return { out: out + matcher.flush(), stopped: false };
}

describe('createStopSequenceMatcher', () => {
  it('stops before the first stop sequence, however the text is split', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.array(fc.string({ minLength: 1, maxLength: 4 }), { maxLength: 3 }),
        (text, cuts, stops) => {
          const { out, stopped } = run(text, cuts, stops);
          const hits = stops.map((stop) => text.indexOf(stop)).filter((index) => index >= 0);
          if (hits.length === 0) {
            expect(out).toBe(text);
            expect(stopped).toBe(false);
          } else {
            // The first complete occurrence in the text ends it, wherever it was split.
            const end = Math.min(
              ...stops.map((stop) =>
                text.indexOf(stop) >= 0 ? text.indexOf(stop) + stop.length : Infinity,
              ),
            );
            const firstStart = Math.min(
              ...stops
                .filter((stop) => {
                  const i = text.indexOf(stop);
                  return i >= 0 && i + stop.length === end;
                })
                .map((stop) => text.indexOf(stop)),
            );
            expect(stopped).toBe(true);
            expect(out).toBe(text.slice(0, firstStart));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('holds back a partial stop and releases it when it is not one', () => {
    const matcher = createStopSequenceMatcher(['</end>']);
    expect(matcher.push('hello </e')).toEqual({ text: 'hello ', stopped: false });
    expect(matcher.push('x')).toEqual({ text: '</ex', stopped: false });
    expect(matcher.push('</en').text).toBe('');
    expect(matcher.push('d> tail')).toMatchObject({
      text: '',
      stopped: true,
      stopSequence: '</end>',
    });
    expect(matcher.push('more')).toEqual({ text: '', stopped: true });
  });

  it('passes text straight through with no stop sequences', () => {
    const matcher = createStopSequenceMatcher([]);
    expect(matcher.push('abc')).toEqual({ text: 'abc', stopped: false });
    expect(matcher.flush()).toBe('');
  });
});

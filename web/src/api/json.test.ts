import { describe, expect, it } from 'vitest';
import { compareIds, parseJson, quoteBigInts } from './json';

describe('parseJson', () => {
  it('keeps Telegram gift ids exact', () => {
    const v = parseJson('{"gifts":[{"id":7000000000000000003,"price":10000},{"id":7000000000000000004,"price":-5}]}') as {
      gifts: { id: unknown; price: number }[];
    };
    expect(v.gifts.map((g) => g.id)).toEqual(['7000000000000000003', '7000000000000000004']);
    expect(v.gifts[1]!.price).toBe(-5);
  });

  it('leaves safe numbers, floats and strings alone', () => {
    expect(parseJson('{"c":-1001234567890,"t":7230754733,"f":1.5e300,"s":"id 7000000000000000003 \\" x"}')).toEqual({
      c: -1001234567890,
      t: 7230754733,
      f: 1.5e300,
      s: 'id 7000000000000000003 " x',
    });
    const plain = '{"a":[1,2,3]}';
    expect(quoteBigInts(plain)).toBe(plain);
  });

  it('handles negative big integers and values at the top level', () => {
    expect(parseJson('-9007199254740993')).toBe('-9007199254740993');
    expect(parseJson('9007199254740991')).toBe(9007199254740991);
  });

  it('compares ids numerically across representations', () => {
    expect(compareIds('7000000000000000004', '7000000000000000003')).toBeGreaterThan(0);
    expect(compareIds(5, '7000000000000000003')).toBeLessThan(0);
    expect(compareIds(3, 2)).toBe(1);
  });
});

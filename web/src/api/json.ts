/**
 * JSON.parse that keeps integers beyond Number.MAX_SAFE_INTEGER exact by turning them into
 * strings. Telegram gift ids (about 7e18) do not fit a double: parsed as numbers, different
 * gifts would get the same id.
 */
export function parseJson(text: string): unknown {
  return JSON.parse(quoteBigInts(text));
}

const SAFE_DIGITS = 15; // every integer of up to 15 digits is exact as a double

/** Wraps long integer literals outside strings in quotes, leaving everything else as it is. */
export function quoteBigInts(text: string): string {
  let out = '';
  let last = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) i += 2;
        else if (d === 34) {
          i++;
          break;
        } else i++;
      }
      continue;
    }
    if (c === 45 /* - */ || (c >= 48 && c <= 57)) {
      const start = i;
      if (c === 45) i++;
      const digitsStart = i;
      while (i < n && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
      const digits = i - digitsStart;
      let integer = true;
      while (i < n && /[.eE+\-0-9]/.test(text[i]!)) {
        integer = false;
        i++;
      }
      if (integer && digits > SAFE_DIGITS) {
        const literal = text.slice(start, i);
        if (!Number.isSafeInteger(Number(literal))) {
          out += text.slice(last, start) + '"' + literal + '"';
          last = i;
        }
      }
      continue;
    }
    i++;
  }
  return last === 0 ? text : out + text.slice(last);
}

/** An id that may be a number or, when too large for one, its decimal string. */
export type BigId = number | string;

/** Orders ids numerically whatever their representation. */
export function compareIds(a: BigId, b: BigId): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

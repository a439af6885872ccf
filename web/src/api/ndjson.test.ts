import { describe, expect, it } from 'vitest';
import { NdjsonParser, readNdjson } from './ndjson';

describe('NdjsonParser', () => {
  it('joins a line split across chunks', () => {
    const p = new NdjsonParser<{ stage: string }>();
    expect(p.push('{"sta')).toEqual([]);
    expect(p.push('ge":"a"}\n{"stage"')).toEqual([{ stage: 'a' }]);
    expect(p.push(':"b"}\n')).toEqual([{ stage: 'b' }]);
    expect(p.flush()).toEqual([]);
  });

  it('returns several lines from one chunk and skips blank lines and CRLF', () => {
    const p = new NdjsonParser();
    expect(p.push('{"a":1}\r\n\n{"a":2}\n{"a":3}\n')).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
  });

  it('flushes a last line without a newline', () => {
    const p = new NdjsonParser();
    expect(p.push('{"done":true}')).toEqual([]);
    expect(p.flush()).toEqual([{ done: true }]);
  });
});

describe('readNdjson', () => {
  it('decodes multi-byte characters split between chunks', async () => {
    const bytes = new TextEncoder().encode('{"m":"звёзды"}\n{"m":"ok"}\n');
    const cut = 8; // inside the Cyrillic text
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes.slice(0, cut));
        c.enqueue(bytes.slice(cut));
        c.close();
      },
    });
    const items: { m: string }[] = [];
    await readNdjson<{ m: string }>(stream, (x) => items.push(x));
    expect(items).toEqual([{ m: 'звёзды' }, { m: 'ok' }]);
  });
});

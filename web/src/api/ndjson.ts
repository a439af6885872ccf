import { parseJson } from './json';

/**
 * Incremental NDJSON parser: feed it text chunks as they arrive; it returns the complete
 * lines parsed as JSON and keeps the unfinished tail for the next chunk.
 */
export class NdjsonParser<T = unknown> {
  private buffer = '';

  push(chunk: string): T[] {
    this.buffer += chunk;
    const out: T[] = [];
    let newline = this.buffer.indexOf('\n');
    while (newline !== -1) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line !== '') out.push(parseJson(line) as T);
      newline = this.buffer.indexOf('\n');
    }
    return out;
  }

  /** The last line when the stream ended without a trailing newline. */
  flush(): T[] {
    const line = this.buffer.trim();
    this.buffer = '';
    return line === '' ? [] : [parseJson(line) as T];
  }
}

/** Reads a byte stream of NDJSON, calling `onItem` for every object as soon as its line is complete. */
export async function readNdjson<T>(
  stream: ReadableStream<Uint8Array>,
  onItem: (item: T) => void,
): Promise<void> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  const parser = new NdjsonParser<T>();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (const item of parser.push(decoder.decode(value, { stream: true }))) onItem(item);
    }
    for (const item of parser.push(decoder.decode())) onItem(item);
    for (const item of parser.flush()) onItem(item);
  } finally {
    reader.releaseLock();
  }
}

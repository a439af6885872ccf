import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

afterEach(() => cleanup());

// jsdom has no EventSource: screens that listen to the live stream get a silent one. Tests
// of the stream itself stub their own.
if (typeof globalThis.EventSource === 'undefined') {
  class SilentEventSource {
    onopen: (() => void) | null = null;
    onerror: (() => void) | null = null;
    addEventListener(): void {}
    close(): void {}
  }
  globalThis.EventSource = SilentEventSource as unknown as typeof EventSource;
}

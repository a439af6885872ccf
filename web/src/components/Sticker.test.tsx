import { act, render } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const loadAnimation = vi.fn(() => ({ play: vi.fn(), pause: vi.fn(), destroy: vi.fn() }));
vi.mock('lottie-web/build/player/lottie_light', () => ({ default: { loadAnimation } }));

type IoCallback = (entries: { isIntersecting: boolean; target: Element }[]) => void;
const observers: { cb: IoCallback; el?: Element }[] = [];
class FakeObserver {
  private entry: { cb: IoCallback; el?: Element };
  constructor(cb: IoCallback) {
    this.entry = { cb };
    observers.push(this.entry);
  }
  observe(el: Element) {
    this.entry.el = el;
  }
  disconnect() {}
}
const show = (i: number, visible: boolean) => observers[i]!.cb([{ isIntersecting: visible, target: observers[i]!.el! }]);

beforeEach(() => {
  observers.length = 0;
  loadAnimation.mockClear();
  vi.stubGlobal('IntersectionObserver', FakeObserver);
});
afterEach(() => vi.unstubAllGlobals());

describe('Sticker', () => {
  it('fetches and animates only once visible, and at most 12 at a time', async () => {
    const fetchMock = vi.fn(() => Promise.resolve(new Response('{"v":"5","layers":[]}', { status: 200 })));
    vi.stubGlobal('fetch', fetchMock);
    const { Sticker } = await import('./Sticker');
    const { stickerSlots } = await import('../lib/animationSlots');
    render(
      <>
        {Array.from({ length: 14 }, (_, i) => (
          <Sticker key={i} giftId={`70000000000000000${10 + i}`} label={`g${i}`} />
        ))}
      </>,
    );
    expect(fetchMock).not.toHaveBeenCalled();
    await act(async () => {
      for (let i = 0; i < 14; i++) show(i, true);
      await new Promise((r) => setTimeout(r, 20));
    });
    expect(stickerSlots.playing).toBe(12);
    expect(stickerSlots.queued).toBe(2);
    expect(fetchMock).toHaveBeenCalledTimes(12);
    expect(loadAnimation).toHaveBeenCalledTimes(12);
    expect(fetchMock.mock.calls[0]).toEqual(['/api/gifts/7000000000000000010/sticker', expect.anything()]);
    // Scrolling one out of view hands its slot to a waiting sticker.
    await act(async () => {
      show(0, false);
      await new Promise((r) => setTimeout(r, 20));
    });
    expect(stickerSlots.playing).toBe(12);
    expect(stickerSlots.queued).toBe(1);
    expect(loadAnimation).toHaveBeenCalledTimes(13);
  });
});

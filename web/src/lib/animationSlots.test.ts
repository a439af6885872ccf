import { describe, expect, it, vi } from 'vitest';
import { AnimationSlots } from './animationSlots';

describe('AnimationSlots', () => {
  it('grants at most max slots and hands freed slots on in order', () => {
    const slots = new AnimationSlots(2);
    const grants = [vi.fn(), vi.fn(), vi.fn(), vi.fn()];
    const releases = grants.map((g) => slots.acquire(g));
    expect(grants.map((g) => g.mock.calls.length)).toEqual([1, 1, 0, 0]);
    expect(slots.playing).toBe(2);
    expect(slots.queued).toBe(2);
    releases[0]!();
    expect(grants[2]).toHaveBeenCalledTimes(1);
    expect(grants[3]).not.toHaveBeenCalled();
    releases[3]!(); // leaving the queue grants nothing
    expect(slots.queued).toBe(0);
    releases[1]!();
    releases[2]!();
    expect(slots.playing).toBe(0);
    expect(grants[3]).not.toHaveBeenCalled();
  });

  it('ignores a second release', () => {
    const slots = new AnimationSlots(1);
    const release = slots.acquire(() => undefined);
    const waiting = vi.fn();
    slots.acquire(waiting);
    release();
    release();
    expect(waiting).toHaveBeenCalledTimes(1);
    expect(slots.playing).toBe(1);
  });
});

/**
 * A limiter for concurrent animations: at most `max` holders play at once; the others wait
 * in line and are granted a slot, in order, when one is released.
 */
export class AnimationSlots {
  private readonly max: number;
  private readonly active = new Set<symbol>();
  private readonly waiting: { key: symbol; grant: () => void }[] = [];

  constructor(max: number) {
    this.max = max;
  }

  /** Asks for a slot; `grant` is called now or later. Returns the function that gives it back (or leaves the queue). */
  acquire(grant: () => void): () => void {
    const key = Symbol('slot');
    if (this.active.size < this.max) {
      this.active.add(key);
      grant();
    } else {
      this.waiting.push({ key, grant });
    }
    return () => this.release(key);
  }

  get playing(): number {
    return this.active.size;
  }

  get queued(): number {
    return this.waiting.length;
  }

  private release(key: symbol): void {
    if (!this.active.delete(key)) {
      const i = this.waiting.findIndex((w) => w.key === key);
      if (i !== -1) this.waiting.splice(i, 1);
      return;
    }
    const next = this.waiting.shift();
    if (next) {
      this.active.add(next.key);
      next.grant();
    }
  }
}

/** The panel-wide limit: the brief asks for at most 12 stickers playing at once. */
export const stickerSlots = new AnimationSlots(12);

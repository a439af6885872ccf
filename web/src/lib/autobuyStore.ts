import { useSyncExternalStore } from 'react';

/** The autobuy switch as last read or saved, shared by the top bar and the Settings screen. */
let value: boolean | null = null;
const listeners = new Set<() => void>();

export function setAutobuy(next: boolean | null): void {
  if (next === value) return;
  value = next;
  listeners.forEach((l) => l());
}

export function useAutobuy(): boolean | null {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => value,
  );
}

/**
 * The last access check of each channel (POST /api/channels/{id}/check), remembered in this
 * browser so that the channel list can show each channel's status without asking Telegram on
 * every visit.
 */
import type { ChannelCheck } from '../api/types';

export interface AccessSummary {
  /** Accounts that can post (and so buy gifts onto the channel). */
  canPost: number;
  /** Accounts asked. */
  total: number;
  /** Unix seconds. */
  checkedAt: number;
}

const STORAGE_KEY = 'giftbuyer.channelAccess';

/** What a check says in a line of the list. */
export function summarize(check: ChannelCheck): AccessSummary {
  return {
    canPost: check.accounts.filter((a) => a.status === 'can_post').length,
    total: check.accounts.length,
    checkedAt: check.checked_at,
  };
}

function isSummary(value: unknown): value is AccessSummary {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return [v.canPost, v.total, v.checkedAt].every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0);
}

/** The saved summaries by channel row id; anything malformed in storage is dropped. */
export function loadAccess(storage: Pick<Storage, 'getItem'> | undefined = globalThis.localStorage): Record<number, AccessSummary> {
  try {
    const raw: unknown = JSON.parse(storage?.getItem(STORAGE_KEY) ?? 'null');
    if (typeof raw !== 'object' || raw === null) return {};
    const out: Record<number, AccessSummary> = {};
    for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
      const id = Number(key);
      if (Number.isSafeInteger(id) && id > 0 && isSummary(value)) out[id] = value;
    }
    return out;
  } catch {
    return {};
  }
}

/** Remembers a check and returns all summaries, the new one included. */
export function saveAccess(
  channelRowId: number,
  check: ChannelCheck,
  storage: Pick<Storage, 'getItem' | 'setItem'> | undefined = globalThis.localStorage,
): Record<number, AccessSummary> {
  const all = { ...loadAccess(storage), [channelRowId]: summarize(check) };
  try {
    storage?.setItem(STORAGE_KEY, JSON.stringify(all));
  } catch {
    /* storage full or disabled */
  }
  return all;
}

import { describe, expect, it } from 'vitest';
import type { ChannelCheck } from '../api/types';
import { loadAccess, saveAccess, summarize } from './channelAccess';

function memoryStorage(initial: Record<string, string> = {}) {
  const data = new Map(Object.entries(initial));
  return {
    getItem: (key: string) => data.get(key) ?? null,
    setItem: (key: string, value: string) => void data.set(key, value),
  };
}

const check: ChannelCheck = {
  id: 3,
  channel_id: -1001234567890,
  title: 'Drops',
  telegram_title: 'Drops',
  usable: true,
  takes_star_gifts: true,
  checked_at: 1_800_000_000,
  accounts: [
    { account_id: 1, username: 'a', status: 'can_post', message: null },
    { account_id: 2, username: null, status: 'not_a_member', message: null },
    { account_id: 3, username: null, status: 'can_post', message: null },
  ],
};

describe('channel access', () => {
  it('summarizes how many accounts can post', () => {
    expect(summarize(check)).toEqual({ canPost: 2, total: 3, checkedAt: 1_800_000_000 });
  });

  it('remembers checks per channel across loads', () => {
    const storage = memoryStorage();
    expect(loadAccess(storage)).toEqual({});
    saveAccess(3, check, storage);
    const all = saveAccess(4, { ...check, id: 4, accounts: [] }, storage);
    expect(all[4]).toEqual({ canPost: 0, total: 0, checkedAt: 1_800_000_000 });
    expect(loadAccess(storage)).toEqual(all);
  });

  it('drops anything malformed in storage', () => {
    const storage = memoryStorage({
      'giftbuyer.channelAccess': JSON.stringify({
        3: { canPost: 1, total: 2, checkedAt: 5 },
        x: { canPost: 1, total: 2, checkedAt: 5 },
        4: { canPost: -1, total: 2, checkedAt: 5 },
        5: 'hello',
      }),
    });
    expect(loadAccess(storage)).toEqual({ 3: { canPost: 1, total: 2, checkedAt: 5 } });
    expect(loadAccess(memoryStorage({ 'giftbuyer.channelAccess': '{not json' }))).toEqual({});
  });
});

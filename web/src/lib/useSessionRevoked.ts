import { useEffect, useRef } from 'react';
import { parseJson } from '../api/json';
import { subscribeSse } from './sse';
import { STREAM_URL } from './useGiftFeed';

/**
 * Calls `onRevoked` with the account's Telegram id when Telegram ends one of my accounts'
 * sessions (`session_revoked` on the live stream): that account needs a new login.
 */
export function useSessionRevoked(onRevoked: (account: number) => void): void {
  const handler = useRef(onRevoked);
  handler.current = onRevoked;
  useEffect(
    () =>
      subscribeSse(STREAM_URL, {
        session_revoked: (data) => {
          try {
            const { account } = parseJson(data) as { account: number };
            handler.current(account);
          } catch {
            /* ignore a broken event */
          }
        },
      }),
    [],
  );
}

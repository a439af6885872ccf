import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { auth } from '../api/api';
import { ApiError } from '../api/errors';
import { setUnauthorizedHandler } from '../api/http';
import { setAutobuy } from './autobuyStore';
import type { User } from '../api/types';

interface SessionApi {
  user: User | null;
  /** True until the first GET /api/auth/me answered. */
  checking: boolean;
  signedIn: (user: User) => void;
  logout: () => Promise<void>;
}

const Ctx = createContext<SessionApi | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(null);
  const [checking, setChecking] = useState(true);

  useEffect(() => {
    setUnauthorizedHandler(() => setUser(null));
    auth
      .me()
      .then(setUser)
      .catch((err: unknown) => {
        if (!(err instanceof ApiError) || !err.unauthorized) console.warn('session check failed', err);
      })
      .finally(() => setChecking(false));
    return () => setUnauthorizedHandler(null);
  }, []);

  const logout = useCallback(async () => {
    try {
      await auth.logout();
    } finally {
      setAutobuy(null);
      setUser(null);
    }
  }, []);

  const value = useMemo(() => ({ user, checking, signedIn: setUser, logout }), [user, checking, logout]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useSession(): SessionApi {
  const v = useContext(Ctx);
  if (!v) throw new Error('useSession outside SessionProvider');
  return v;
}

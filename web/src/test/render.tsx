import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { vi } from 'vitest';
import { ToastProvider } from '../components/Toasts';
import { I18nProvider, type Lang } from '../i18n';
import { SessionProvider } from '../lib/session';

/** Renders inside the panel's providers, in a fixed language. */
export function renderUi(ui: ReactElement, lang: Lang = 'en') {
  return render(
    <I18nProvider lang={lang}>
      <ToastProvider>{ui}</ToastProvider>
    </I18nProvider>,
  );
}

export function renderWithSession(ui: ReactElement, lang: Lang = 'en') {
  return renderUi(<SessionProvider>{ui}</SessionProvider>, lang);
}

export interface Call {
  method: string;
  path: string;
  body: unknown;
}

/** A fetch stub answering by "METHOD path" from a table of handlers; records every call. */
export function stubApi(routes: Record<string, (body: unknown) => [number, unknown]>) {
  const calls: Call[] = [];
  const fetchMock = vi.fn(async (path: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    calls.push({ method, path, body });
    const handler = routes[`${method} ${path}`];
    if (!handler) return new Response(JSON.stringify({ error: { code: 'not_found', message: `no route ${method} ${path}` } }), { status: 404 });
    const [status, answer] = handler(body);
    return new Response(answer === undefined ? null : JSON.stringify(answer), { status, headers: { 'Content-Type': 'application/json' } });
  });
  vi.stubGlobal('fetch', fetchMock);
  return calls;
}

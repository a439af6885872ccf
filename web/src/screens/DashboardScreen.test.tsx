import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderUi, stubApi } from '../test/render';
import { DashboardScreen } from './DashboardScreen';

afterEach(() => vi.unstubAllGlobals());

const account = { id: 4, telegram_id: 99, first_name: null, username: 'buyer', masked_phone: '+1555****567', premium: true, premium_until: 1_800_000_000, stars: 1200, stars_refreshed_at: 1_795_000_000, api_profile_id: 1, logged_in: true };

describe('DashboardScreen', () => {
  it('shows account cards and the refresh stages as they stream', async () => {
    let release: () => void = () => undefined;
    const enc = new TextEncoder();
    stubApi({
      'GET /api/profiles': () => [200, { profiles: [{ id: 1, name: 'main', api_id: 5, api_hash_set: true, accounts: 1, created_at: 1 }] }],
      'GET /api/accounts': () => [200, { accounts: [account] }],
    });
    const base = globalThis.fetch;
    vi.stubGlobal('fetch', (path: string, init?: RequestInit) => {
      if (path !== '/api/accounts/4/refresh') return base(path, init);
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(enc.encode('{"stage":"connect"}\n{"stage":"profile"}\n'));
          release = () => {
            c.enqueue(enc.encode(`{"stage":"stars"}\n{"stage":"premium"}\n{"stage":"save"}\n{"stage":"done","account":${JSON.stringify({ ...account, stars: 900 })}}\n`));
            c.close();
          };
        },
      });
      return Promise.resolve(new Response(body, { status: 200 }));
    });
    renderUi(<DashboardScreen />);
    const card = await screen.findByTestId('account-card');
    expect(within(card).getByText('@buyer')).toBeTruthy();
    expect(within(card).getByText('+1555****567')).toBeTruthy();
    expect(within(card).getByText('1,200')).toBeTruthy();
    fireEvent.click(within(card).getByRole('button', { name: 'Refresh' }));
    await waitFor(() => expect(within(card).getByText('Profile').className).toBe('stage-done'));
    expect(within(card).getByText('Stars', { selector: 'li' }).className).toBe('');
    expect(within(card).getByRole('button', { name: 'Refreshing…' })).toBeTruthy();
    release();
    await waitFor(() => expect(within(card).getByText('Done').className).toBe('stage-done'));
    expect(within(card).getByText('900')).toBeTruthy();
  });

  it('explains a 409 when deleting an API profile still in use', async () => {
    stubApi({
      'GET /api/profiles': () => [200, { profiles: [{ id: 1, name: 'main', api_id: 5, api_hash_set: true, accounts: 2, created_at: 1 }] }],
      'GET /api/accounts': () => [200, { accounts: [] }],
      'DELETE /api/profiles/1': () => [409, { error: { code: 'in_use', message: 'this API profile is still in use' } }],
    });
    renderUi(<DashboardScreen />);
    const row = await screen.findByTestId('profile-row');
    fireEvent.click(within(row).getByRole('button', { name: 'Delete' }));
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete' }));
    expect(await within(row).findByText('This profile is still used by 2 account(s). Delete those accounts first.')).toBeTruthy();
  });

  it('names an account by its first name, with the username beside the phone', async () => {
    stubApi({
      'GET /api/profiles': () => [200, { profiles: [] }],
      'GET /api/accounts': () => [200, { accounts: [{ ...account, first_name: 'Alice' }] }],
    });
    renderUi(<DashboardScreen />);
    const card = await screen.findByTestId('account-card');
    expect(within(card).getByText('Alice')).toBeTruthy();
    expect(within(card).getByText('@buyer · +1555****567')).toBeTruthy();
  });
});

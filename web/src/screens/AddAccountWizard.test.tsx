import { fireEvent, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ApiProfile } from '../api/types';
import { renderUi, stubApi } from '../test/render';
import { AddAccountWizard } from './AddAccountWizard';

afterEach(() => vi.unstubAllGlobals());

const profile: ApiProfile = { id: 7, name: 'main', api_id: 123, api_hash_set: true, accounts: 0, created_at: 0 };
const account = { id: 1, telegram_id: 5, username: 'demo_user', masked_phone: '+1555****567', premium: false, premium_until: null, stars: 100, stars_refreshed_at: null, api_profile_id: 7, logged_in: true };

describe('AddAccountWizard', () => {
  it('goes profile -> phone -> code (showing the demo code) -> done without a password step', async () => {
    const calls = stubApi({
      'POST /api/accounts/login': () => [200, { step: 'code', login_id: 'L1', masked_phone: '+1555****567', demo_code: '12345' }],
      'POST /api/accounts/login/L1/code': () => [200, { step: 'done', account }],
    });
    const onDone = vi.fn();
    renderUi(<AddAccountWizard profiles={[profile]} onClose={() => undefined} onDone={onDone} />);
    fireEvent.click(screen.getByRole('button', { name: 'Next' }));
    fireEvent.change(screen.getByLabelText('Phone number'), { target: { value: '+1 555 123 4567' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send code' }));
    expect((await screen.findByTestId('demo-code')).textContent).toContain('12345');
    expect(screen.queryByText('Password')).toBeNull();
    fireEvent.change(screen.getByLabelText('Login code'), { target: { value: '12345' } });
    fireEvent.click(screen.getByRole('button', { name: 'Next' }));
    expect(await screen.findByText('Account @demo_user added.')).toBeTruthy();
    expect(onDone).toHaveBeenCalledWith(account);
    expect(calls[0]!.body).toEqual({ phone: '+1 555 123 4567', api_profile_id: 7 });
  });

  it('asks for the 2FA password only when the server says so, and shows step errors', async () => {
    stubApi({
      'POST /api/accounts/login': () => [200, { step: 'code', login_id: 'L2' }],
      'POST /api/accounts/login/L2/code': () => [200, { step: 'password', login_id: 'L2', hint: 'pet' }],
      'POST /api/accounts/login/L2/password': () => [422, { error: { code: 'invalid', message: 'invalid', fields: { password: 'wrong password' } } }],
    });
    renderUi(<AddAccountWizard profiles={[]} onClose={() => undefined} onDone={() => undefined} />);
    fireEvent.change(screen.getByLabelText('Phone number'), { target: { value: '+15551234567' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send code' }));
    fireEvent.change(await screen.findByLabelText('Login code'), { target: { value: '1' } });
    fireEvent.click(screen.getByRole('button', { name: 'Next' }));
    const pw = await screen.findByLabelText('Two-step verification password');
    expect(screen.getByText('Hint: pet')).toBeTruthy();
    fireEvent.change(pw, { target: { value: 'nope' } });
    fireEvent.click(screen.getByRole('button', { name: 'Next' }));
    expect(await screen.findByText('wrong password')).toBeTruthy();
  });

  it('refuses a malformed phone number without calling the API', async () => {
    const calls = stubApi({});
    renderUi(<AddAccountWizard profiles={[]} onClose={() => undefined} onDone={() => undefined} />);
    fireEvent.change(screen.getByLabelText('Phone number'), { target: { value: 'abc' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send code' }));
    expect(await screen.findByText(/international format/)).toBeTruthy();
    expect(calls).toHaveLength(0);
  });
});

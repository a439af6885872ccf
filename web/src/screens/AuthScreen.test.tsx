import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderWithSession, stubApi } from '../test/render';
import { AuthScreen } from './AuthScreen';

afterEach(() => vi.unstubAllGlobals());

const unauth: [number, unknown] = [401, { error: { code: 'unauthenticated', message: 'log in' } }];

function fill(username: string, password: string) {
  fireEvent.change(screen.getByLabelText('Username'), { target: { value: username } });
  fireEvent.change(screen.getByLabelText('Password'), { target: { value: password } });
}

describe('AuthScreen', () => {
  it('validates locally before calling the API', async () => {
    const calls = stubApi({ 'GET /api/auth/me': () => unauth });
    renderWithSession(<AuthScreen />);
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect(await screen.findAllByText('Required')).toHaveLength(2);
    expect(calls.filter((c) => c.path === '/api/auth/login')).toHaveLength(0);
  });

  it('shows the field errors the server returns on register, and sends remember', async () => {
    const calls = stubApi({
      'GET /api/auth/me': () => unauth,
      'POST /api/auth/register': () => [422, { error: { code: 'invalid', message: 'invalid', fields: { username: 'already taken' } } }],
    });
    renderWithSession(<AuthScreen />);
    fireEvent.click(screen.getByRole('tab', { name: 'Register' }));
    fill('alice', 'a-long-enough-password');
    fireEvent.click(screen.getByRole('checkbox', { name: 'Remember me' }));
    fireEvent.click(screen.getByRole('button', { name: 'Create account' }));
    expect(await screen.findByText('already taken')).toBeTruthy();
    expect(calls.find((c) => c.path === '/api/auth/register')?.body).toEqual({ username: 'alice', password: 'a-long-enough-password', remember: false });
  });

  it('shows the lockout with the remaining time and disables the form', async () => {
    stubApi({
      'GET /api/auth/me': () => unauth,
      'POST /api/auth/login': () => [423, { error: { code: 'account_locked', message: 'locked', retry_after_secs: 125 } }],
    });
    renderWithSession(<AuthScreen />);
    fill('alice', 'wrong-password');
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    const alert = await screen.findByText(/account is locked/);
    expect(alert.textContent).toMatch(/2 min [45] s/);
    await waitFor(() => expect((screen.getByRole('button', { name: 'Log in' }) as HTMLButtonElement).disabled).toBe(true));
  });

  it('speaks Russian when asked', async () => {
    stubApi({ 'GET /api/auth/me': () => unauth });
    renderWithSession(<AuthScreen />, 'ru');
    expect(screen.getByRole('button', { name: 'Войти' })).toBeTruthy();
    expect(screen.getByLabelText('Запомнить меня')).toBeTruthy();
  });

  it('switches tabs with the arrow keys, keeping one tab stop', async () => {
    stubApi({ 'GET /api/auth/me': () => unauth });
    renderWithSession(<AuthScreen />);
    const login = screen.getByRole('tab', { name: 'Log in' });
    const register = screen.getByRole('tab', { name: 'Register' });
    expect([login.tabIndex, register.tabIndex]).toEqual([0, -1]);
    fireEvent.keyDown(login, { key: 'ArrowRight' });
    expect(register.getAttribute('aria-selected')).toBe('true');
    expect(document.activeElement).toBe(register);
    expect([login.tabIndex, register.tabIndex]).toEqual([-1, 0]);
    expect(screen.getByRole('button', { name: 'Create account' })).toBeTruthy();
    fireEvent.keyDown(register, { key: 'ArrowRight' });
    expect(login.getAttribute('aria-selected')).toBe('true');
    fireEvent.keyDown(login, { key: 'End' });
    expect(register.getAttribute('aria-selected')).toBe('true');
    fireEvent.keyDown(register, { key: 'Home' });
    expect(document.activeElement).toBe(login);
  });
});

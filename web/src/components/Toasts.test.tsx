import { act, fireEvent, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/errors';
import { translate, type I18n } from '../i18n';
import { renderUi } from '../test/render';
import { errorText, formatWait, useToast } from './Toasts';

const i18n = (lang: 'en' | 'ru') => ({ t: (k: string, v?: Record<string, string | number>) => translate(lang, k, v), tk: (k: string, v?: Record<string, string | number>) => translate(lang, k, v) }) as unknown as I18n;

describe('errorText', () => {
  it('translates known API codes and keeps the server message otherwise', () => {
    expect(errorText(i18n('en'), new ApiError(422, 'invalid_code', 'the code is not valid'))).toBe('The code is not valid.');
    expect(errorText(i18n('ru'), new ApiError(422, 'invalid_code', 'the code is not valid'))).toBe('Неверный код.');
    expect(errorText(i18n('en'), new ApiError(422, 'invalid', 'price_max: must be at least price_min'))).toBe('price_max: must be at least price_min');
    expect(errorText(i18n('en'), new ApiError(0, 'network', 'Failed to fetch'))).toBe('The server cannot be reached. Check your connection.');
  });

  it('shows the wait of rate limits and lockouts', () => {
    expect(errorText(i18n('en'), new ApiError(429, 'rate_limited', 'x', {}, 12))).toBe('Too many attempts. Try again in 12 s.');
    expect(errorText(i18n('ru'), new ApiError(423, 'account_locked', 'x', {}, 600))).toContain('10 мин');
    expect(formatWait(i18n('en'), 61)).toBe('1 min 1 s');
  });
});

function Thrower() {
  const toast = useToast();
  return (
    <button type="button" onClick={() => toast.error(new ApiError(409, 'in_use', 'this API profile is still in use'))}>
      fail
    </button>
  );
}

describe('toasts', () => {
  it('shows an error toast as an alert that can be dismissed and expires', () => {
    vi.useFakeTimers();
    renderUi(<Thrower />);
    fireEvent.click(screen.getByText('fail'));
    expect(screen.getByRole('alert').textContent).toContain('This is still in use.');
    fireEvent.click(screen.getByRole('button', { name: 'Close' }));
    expect(screen.queryByRole('alert')).toBeNull();
    fireEvent.click(screen.getByText('fail'));
    act(() => void vi.advanceTimersByTime(9000));
    expect(screen.queryByRole('alert')).toBeNull();
    vi.useRealTimers();
  });
});

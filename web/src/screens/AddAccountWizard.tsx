import { useEffect, useRef, useState, type FormEvent } from 'react';
import { accounts as api } from '../api/api';
import { ApiError } from '../api/errors';
import type { Account, ApiProfile, LoginStepResponse } from '../api/types';
import { Field } from '../components/Field';
import { Modal } from '../components/Modal';
import { errorText } from '../components/Toasts';
import { useI18n } from '../i18n';

type Step = 'profile' | 'phone' | 'code' | 'password' | 'done';

/** API profile -> phone -> code -> 2FA password (only when Telegram asks) -> done. */
export function AddAccountWizard({ profiles, onClose, onDone }: { profiles: ApiProfile[]; onClose: () => void; onDone: (a?: Account) => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [step, setStep] = useState<Step>(profiles.length > 0 ? 'profile' : 'phone');
  const [profileId, setProfileId] = useState<number | null>(profiles[0]?.id ?? null);
  const [phone, setPhone] = useState('');
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const [login, setLogin] = useState<LoginStepResponse | null>(null);
  const [account, setAccount] = useState<Account | null>(null);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const loginId = useRef<string | undefined>(undefined);
  const finished = useRef(false);

  // A login left midway is cancelled on the server, so its code does not linger.
  useEffect(
    () => () => {
      if (loginId.current && !finished.current) void api.cancelLogin(loginId.current).catch(() => undefined);
    },
    [],
  );

  const advance = (res: LoginStepResponse) => {
    setError(undefined);
    if (res.login_id) loginId.current = res.login_id;
    if (res.step === 'done') {
      finished.current = true;
      setAccount(res.account ?? null);
      setStep('done');
      onDone(res.account);
    } else {
      setLogin((prev) => ({ ...prev, ...res }));
      setStep(res.step);
    }
  };

  const run = async (call: () => Promise<LoginStepResponse>) => {
    setBusy(true);
    try {
      advance(await call());
    } catch (err) {
      if (err instanceof ApiError) {
        const field = Object.values(err.fields)[0];
        setError(field ?? errorText(i18n, err));
        if (err.status === 404 || err.status === 410 || err.code === 'wrong_step') {
          loginId.current = undefined;
          setStep('phone');
        }
      } else setError(errorText(i18n, err));
    } finally {
      setBusy(false);
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    switch (step) {
      case 'profile':
        setError(undefined);
        setStep('phone');
        return;
      case 'phone':
        if (!/^\+?[\d\s()-]{5,}$/.test(phone.trim())) return setError(t('validation.phone'));
        return void run(() => api.startLogin(phone.trim(), profileId));
      case 'code':
        if (code.trim() === '') return setError(t('validation.required'));
        return void run(() => api.sendCode(loginId.current ?? '', code.trim()));
      case 'password':
        if (password === '') return setError(t('validation.required'));
        return void run(() => api.sendPassword(loginId.current ?? '', password));
      case 'done':
        onClose();
    }
  };

  const steps: Step[] = ['profile', 'phone', 'code', ...(login?.step === 'password' || step === 'password' ? (['password'] as Step[]) : []), 'done'];

  return (
    <Modal title={t('wizard.title')} onClose={onClose}>
      <ol className="wizard-steps" aria-label={t('wizard.progress')}>
        {steps.map((s) => (
          <li key={s} className={s === step ? 'current' : steps.indexOf(s) < steps.indexOf(step) ? 'past' : ''} aria-current={s === step ? 'step' : undefined}>
            {t(`wizard.step.${s}`)}
          </li>
        ))}
      </ol>
      <form onSubmit={submit} noValidate data-step={step}>
        {step === 'profile' && (
          <fieldset className="radio-list">
            <legend>{t('wizard.chooseProfile')}</legend>
            {profiles.map((p) => (
              <label key={p.id} className="check">
                <input type="radio" name="profile" checked={profileId === p.id} onChange={() => setProfileId(p.id)} />
                <span>
                  {p.name} <span className="muted">(api_id {p.api_id})</span>
                </span>
              </label>
            ))}
            <label className="check">
              <input type="radio" name="profile" checked={profileId === null} onChange={() => setProfileId(null)} />
              <span>{t('wizard.defaultProfile')}</span>
            </label>
          </fieldset>
        )}
        {step === 'phone' && (
          <Field label={t('wizard.phone')} name="phone" type="tel" autoComplete="tel" placeholder="+1 555 123 4567" value={phone} onChange={(e) => setPhone(e.target.value)} error={error} data-autofocus />
        )}
        {step === 'code' && (
          <Field
            label={t('wizard.code')}
            name="code"
            inputMode="numeric"
            autoComplete="one-time-code"
            value={code}
            onChange={(e) => setCode(e.target.value)}
            error={error}
            data-autofocus
            hint={
              <>
                {t('wizard.codeSent', { phone: login?.masked_phone ?? phone })}
                {login?.demo_code && (
                  <span className="demo-code" data-testid="demo-code">
                    {' '}
                    {t('wizard.demoCode')} <code>{login.demo_code}</code>
                  </span>
                )}
              </>
            }
          />
        )}
        {step === 'password' && (
          <Field
            label={t('wizard.password')}
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            error={error}
            hint={login?.hint ? t('wizard.passwordHint', { hint: login.hint }) : undefined}
            data-autofocus
          />
        )}
        {step === 'done' && (
          <p className="notice notice-success" role="status">
            {t('wizard.done', { name: account?.username ? `@${account.username}` : (account?.masked_phone ?? '') })}
          </p>
        )}
        {step === 'profile' && error && <p className="field-error">{error}</p>}
        <div className="actions">
          {step !== 'done' && (
            <button type="button" className="btn" onClick={onClose}>
              {t('common.cancel')}
            </button>
          )}
          <button type="submit" className="btn btn-primary" disabled={busy} aria-busy={busy}>
            {step === 'done' ? t('common.close') : step === 'phone' ? t('wizard.sendCode') : t('common.next')}
          </button>
        </div>
      </form>
    </Modal>
  );
}

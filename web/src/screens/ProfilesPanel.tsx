import { useState, type FormEvent } from 'react';
import { profiles as api } from '../api/api';
import { ApiError } from '../api/errors';
import type { ApiProfile } from '../api/types';
import { Field } from '../components/Field';
import { ConfirmDialog, Modal } from '../components/Modal';
import { useToast } from '../components/Toasts';
import { useI18n } from '../i18n';
import { useDialogForm } from '../lib/useDialogForm';
import { validateProfile, type ProfileForm } from '../lib/validation';

export function ProfilesPanel({ profiles, onChange }: { profiles: ApiProfile[]; onChange: () => void }) {
  const { t, date } = useI18n();
  const toast = useToast();
  const [adding, setAdding] = useState(false);
  const [renaming, setRenaming] = useState<ApiProfile | null>(null);
  const [deleting, setDeleting] = useState<ApiProfile | null>(null);
  const [inUse, setInUse] = useState<number | null>(null);

  const remove = async (p: ApiProfile) => {
    try {
      await api.remove(p.id);
      toast.success(t('profiles.deleted'));
      onChange();
    } catch (err) {
      if (err instanceof ApiError && err.conflict) setInUse(p.id);
      else toast.error(err);
    } finally {
      setDeleting(null);
    }
  };

  return (
    <section className="panel" aria-labelledby="profiles-h">
      <div className="panel-head">
        <h2 id="profiles-h">{t('profiles.title')}</h2>
        <button type="button" className="btn btn-primary" onClick={() => setAdding(true)}>
          {t('profiles.add')}
        </button>
      </div>
      {profiles.length === 0 ? (
        <p className="empty">{t('profiles.empty')}</p>
      ) : (
        <ul className="list">
          {profiles.map((p) => (
            <li key={p.id} className="list-row" data-testid="profile-row">
              <div className="grow">
                <strong>{p.name}</strong>
                <div className="muted small">
                  api_id {p.api_id} · {t('profiles.accounts', { n: p.accounts })} · {date(p.created_at)}
                </div>
                {inUse === p.id && (
                  <div className="notice notice-error small" role="alert">
                    {t('profiles.inUse', { n: p.accounts })}
                  </div>
                )}
              </div>
              <button type="button" className="btn btn-small" onClick={() => setRenaming(p)}>
                {t('common.rename')}
              </button>
              <button type="button" className="btn btn-small btn-danger" onClick={() => setDeleting(p)}>
                {t('common.delete')}
              </button>
            </li>
          ))}
        </ul>
      )}
      {adding && <AddProfileDialog onClose={() => setAdding(false)} onSaved={onChange} />}
      {renaming && <RenameDialog profile={renaming} onClose={() => setRenaming(null)} onSaved={onChange} />}
      {deleting && (
        <ConfirmDialog
          title={t('profiles.deleteTitle')}
          text={t('profiles.deleteText', { name: deleting.name })}
          confirmLabel={t('common.delete')}
          danger
          onConfirm={() => void remove(deleting)}
          onCancel={() => setDeleting(null)}
        />
      )}
    </section>
  );
}

function AddProfileDialog({ onClose, onSaved }: { onClose: () => void; onSaved: () => void }) {
  const { t, tk } = useI18n();
  const toast = useToast();
  const { form, busy, set, err: fieldError, submit: onSubmit } = useDialogForm<ProfileForm>({ name: '', api_id: '', api_hash: '' });
  const err = (k: keyof ProfileForm) => fieldError(k, tk);
  const submit = onSubmit(
    validateProfile,
    async (value) => {
      await api.create(value);
      toast.success(t('profiles.added'));
      onSaved();
      onClose();
    },
    (conflict) => ({ name: conflict.message }),
    toast.error,
  );

  return (
    <Modal title={t('profiles.add')} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <Field label={t('profiles.name')} name="name" value={form.name} onChange={set('name')} error={err('name')} data-autofocus />
        <Field label="api_id" name="api_id" inputMode="numeric" value={form.api_id} onChange={set('api_id')} error={err('api_id')} hint={t('profiles.apiHint')} />
        <Field label="api_hash" name="api_hash" type="password" autoComplete="off" value={form.api_hash} onChange={set('api_hash')} error={err('api_hash')} />
        <div className="actions">
          <button type="button" className="btn" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {t('common.save')}
          </button>
        </div>
      </form>
    </Modal>
  );
}

function RenameDialog({ profile, onClose, onSaved }: { profile: ApiProfile; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const toast = useToast();
  const [name, setName] = useState(profile.name);
  const [error, setError] = useState<string | undefined>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (name.trim() === '') return setError(t('validation.required'));
    try {
      await api.rename(profile.id, name.trim());
      onSaved();
      onClose();
    } catch (err) {
      if (err instanceof ApiError && (err.fields.name || err.conflict)) setError(err.fields.name ?? err.message);
      else toast.error(err);
    }
  };
  return (
    <Modal title={t('profiles.renameTitle')} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <Field label={t('profiles.name')} value={name} onChange={(e) => setName(e.target.value)} error={error} data-autofocus />
        <div className="actions">
          <button type="button" className="btn" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="btn btn-primary">
            {t('common.save')}
          </button>
        </div>
      </form>
    </Modal>
  );
}

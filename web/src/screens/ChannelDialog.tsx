import { channels as api } from '../api/api';
import { GIFT_KINDS, type GiftKind, type Target, type TargetKind } from '../api/types';
import { Checkbox, Field } from '../components/Field';
import { Modal } from '../components/Modal';
import { useToast } from '../components/Toasts';
import { useI18n } from '../i18n';
import { useDialogForm } from '../lib/useDialogForm';
import { createBody, parseKinds, validateTarget, type TargetForm } from '../lib/validation';

const str = (n: number | null | undefined) => (n === null || n === undefined ? '' : String(n));

export function toForm(c: Target | null): TargetForm {
  return {
    kind: c?.kind ?? 'channel',
    channel_id: str(c?.channel_id),
    username: c?.username ?? '',
    title: c?.title ?? '',
    price_min: str(c?.price_min),
    price_max: str(c?.price_max),
    supply_min: str(c?.supply_min),
    supply_max: str(c?.supply_max),
    exclude_ids: c ? c.exclude.gift_ids.map(String).join(', ') : '',
    exclude_kinds: c ? c.exclude.kinds.join(',') : '',
  };
}

/**
 * The form field for a server field error: exclude-list problems come by their path in the body,
 * and a recipient field the chosen kind does not show is reported under the kind choice.
 */
function fieldOf(serverField: string, kind: string): string {
  if (serverField.startsWith('exclude.gift_ids')) return 'exclude_ids';
  if (serverField.startsWith('exclude')) return 'exclude_kinds';
  if ((serverField === 'channel_id' && kind !== 'channel') || (serverField === 'username' && kind !== 'user')) return 'kind';
  return serverField;
}

const KINDS: readonly { kind: TargetKind; label: 'channels.toChannel' | 'channels.toSelf' | 'channels.toUser' }[] = [
  { kind: 'channel', label: 'channels.toChannel' },
  { kind: 'self', label: 'channels.toSelf' },
  { kind: 'user', label: 'channels.toUser' },
];

/**
 * Adds a target (a channel, the buying account itself, or a person by @username), or edits one:
 * a PATCH with every field, the recipient included, so cleared bounds become null and a changed
 * kind takes effect.
 */
export function ChannelDialog({ channel, onClose, onSaved }: { channel: Target | null; onClose: () => void; onSaved: () => void }) {
  const { t, tk } = useI18n();
  const toast = useToast();
  const { form, busy, set, err: fieldError, submit: onSubmit } = useDialogForm<TargetForm>(() => toForm(channel));
  const err = (k: keyof TargetForm) => fieldError(k, tk);
  // A duplicate is reported on the field that names the recipient.
  const conflictField = form.kind === 'user' ? 'username' : form.kind === 'self' ? 'kind' : 'channel_id';
  const submit = onSubmit(
    validateTarget,
    async (value) => {
      if (channel) await api.update(channel.id, value);
      else await api.create(createBody(value));
      toast.success(channel ? t('channels.saved') : t('channels.added'));
      onSaved();
      onClose();
    },
    () => ({ [conflictField]: t('channels.exists') }),
    toast.error,
    (field) => fieldOf(field, form.kind),
  );
  const kinds = parseKinds(form.exclude_kinds);
  const toggleKind = (kind: GiftKind) => {
    const next = kinds.includes(kind) ? kinds.filter((k) => k !== kind) : [...kinds, kind];
    set('exclude_kinds')({ target: { value: next.join(',') } });
  };
  const kindsError = err('exclude_kinds');
  const recipientError = err('kind');

  const num = { inputMode: 'numeric' as const, min: 0, type: 'number' };
  return (
    <Modal title={channel ? t('channels.edit') : t('channels.add')} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <fieldset className="radio-list">
          <legend>{t('channels.to')}</legend>
          {KINDS.map(({ kind, label }) => (
            <label key={kind} className="check">
              <input type="radio" name="kind" value={kind} checked={form.kind === kind} onChange={set('kind')} />
              <span>{t(label)}</span>
            </label>
          ))}
          {recipientError && (
            <div className="field-error" role="alert">
              {recipientError}
            </div>
          )}
        </fieldset>
        {form.kind === 'channel' && (
          <Field label={t('channels.id')} name="channel_id" value={form.channel_id} onChange={set('channel_id')} error={err('channel_id')} hint={t('channels.idHint')} placeholder="-1001234567890" data-autofocus />
        )}
        {form.kind === 'self' && <p className="muted small">{t('channels.selfHint')}</p>}
        {form.kind === 'user' && (
          <Field label={t('channels.username')} name="username" value={form.username} onChange={set('username')} error={err('username')} hint={t('channels.usernameHint')} placeholder="@username" autoComplete="off" data-autofocus />
        )}
        <Field label={t('channels.titleField')} name="title" value={form.title} onChange={set('title')} error={err('title')} />
        <div className="row2">
          <Field label={t('channels.priceMin')} name="price_min" {...num} value={form.price_min} onChange={set('price_min')} error={err('price_min')} />
          <Field label={t('channels.priceMax')} name="price_max" {...num} value={form.price_max} onChange={set('price_max')} error={err('price_max')} />
        </div>
        <div className="row2">
          <Field label={t('channels.supplyMin')} name="supply_min" {...num} value={form.supply_min} onChange={set('supply_min')} error={err('supply_min')} />
          <Field label={t('channels.supplyMax')} name="supply_max" {...num} value={form.supply_max} onChange={set('supply_max')} error={err('supply_max')} />
        </div>
        <p className="muted small">{t('channels.boundsHint')}</p>
        <Field label={t('channels.excludeIds')} name="exclude_ids" value={form.exclude_ids} onChange={set('exclude_ids')} error={err('exclude_ids')} hint={t('channels.excludeIdsHint')} placeholder="5170145012310081615, 6028601630662853006" />
        <fieldset className="radio-list">
          <legend>{t('channels.excludeKinds')}</legend>
          {GIFT_KINDS.map((kind) => (
            <Checkbox
              key={kind}
              name={`exclude_${kind}`}
              label={t(kind === 'birthday' ? 'channels.kindBirthday' : 'channels.kindPremiumOnly')}
              checked={kinds.includes(kind)}
              onChange={() => toggleKind(kind)}
            />
          ))}
          {kindsError && (
            <div className="field-error" role="alert">
              {kindsError}
            </div>
          )}
        </fieldset>
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

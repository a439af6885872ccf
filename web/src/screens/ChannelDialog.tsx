import { channels as api } from '../api/api';
import { GIFT_KINDS, type Channel, type GiftKind } from '../api/types';
import { Checkbox, Field } from '../components/Field';
import { Modal } from '../components/Modal';
import { useToast } from '../components/Toasts';
import { useI18n } from '../i18n';
import { useDialogForm } from '../lib/useDialogForm';
import { parseKinds, validateChannel, type ChannelForm } from '../lib/validation';

const str = (n: number | null | undefined) => (n === null || n === undefined ? '' : String(n));

export function toForm(c: Channel | null): ChannelForm {
  return {
    channel_id: c ? String(c.channel_id) : '',
    title: c?.title ?? '',
    price_min: str(c?.price_min),
    price_max: str(c?.price_max),
    supply_min: str(c?.supply_min),
    supply_max: str(c?.supply_max),
    exclude_ids: c ? c.exclude.gift_ids.map(String).join(', ') : '',
    exclude_kinds: c ? c.exclude.kinds.join(',') : '',
  };
}

/** The server names exclude-list problems by their path in the body. */
function fieldOf(serverField: string): string {
  if (serverField.startsWith('exclude.gift_ids')) return 'exclude_ids';
  if (serverField.startsWith('exclude')) return 'exclude_kinds';
  return serverField;
}

/** Adds a channel, or edits one (a PATCH with every field, so cleared bounds become null). */
export function ChannelDialog({ channel, onClose, onSaved }: { channel: Channel | null; onClose: () => void; onSaved: () => void }) {
  const { t, tk } = useI18n();
  const toast = useToast();
  const { form, busy, set, err: fieldError, submit: onSubmit } = useDialogForm<ChannelForm>(() => toForm(channel));
  const err = (k: keyof ChannelForm) => fieldError(k, tk);
  const submit = onSubmit(
    validateChannel,
    async (value) => {
      if (channel) await api.update(channel.id, value);
      else await api.create(value);
      toast.success(channel ? t('channels.saved') : t('channels.added'));
      onSaved();
      onClose();
    },
    () => ({ channel_id: t('channels.exists') }),
    toast.error,
    fieldOf,
  );
  const kinds = parseKinds(form.exclude_kinds);
  const toggleKind = (kind: GiftKind) => {
    const next = kinds.includes(kind) ? kinds.filter((k) => k !== kind) : [...kinds, kind];
    set('exclude_kinds')({ target: { value: next.join(',') } });
  };
  const kindsError = err('exclude_kinds');

  const num = { inputMode: 'numeric' as const, min: 0, type: 'number' };
  return (
    <Modal title={channel ? t('channels.edit') : t('channels.add')} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <Field label={t('channels.id')} name="channel_id" value={form.channel_id} onChange={set('channel_id')} error={err('channel_id')} hint={t('channels.idHint')} placeholder="-1001234567890" data-autofocus />
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

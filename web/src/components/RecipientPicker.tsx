/** Who receives a bought or bid-for gift: the buying account, one of my channels, or a person by @username. */
import type { ChannelTarget, Target } from '../api/types';
import { useI18n } from '../i18n';
import { Field } from './Field';

/** The picker's state: a channel id, `''` for the account itself, or `PERSON` with a username. */
export interface RecipientChoice {
  channel: string;
  username: string;
}

export const PERSON = 'person';
export const NO_RECIPIENT: RecipientChoice = { channel: '', username: '' };

/** The request fields for a choice: at most one of `to_channel_id` and `to_username`. */
export function recipientFields(choice: RecipientChoice): { to_channel_id: number | null; to_username: string | null } {
  if (choice.channel === PERSON) return { to_channel_id: null, to_username: choice.username.trim() };
  return { to_channel_id: choice.channel === '' ? null : Number(choice.channel), to_username: null };
}

/** Who receives the gifts, in words: `@name`, a channel's title (or id), or the account itself. */
export function recipientText(
  to: { to_channel_id: number | null; to_username?: string | null },
  channels: readonly Pick<Target, 'channel_id' | 'title'>[],
  self: string,
): string {
  if (to.to_username) return `@${to.to_username}`;
  if (to.to_channel_id === null) return self;
  const channel = channels.find((c) => c.channel_id === to.to_channel_id);
  return channel?.title ?? String(to.to_channel_id);
}

export function RecipientPicker({
  id,
  label,
  self,
  channels,
  value,
  onChange,
  errors,
}: {
  id: string;
  label: string;
  /** How "the account itself" reads in this form. */
  self: string;
  /** My channel targets only (see lib/targets.ts `channelTargets`). */
  channels: ChannelTarget[];
  value: RecipientChoice;
  onChange: (value: RecipientChoice) => void;
  errors: Record<string, string>;
}) {
  const { t } = useI18n();
  return (
    <>
      <div className={`field${errors.to_channel_id ? ' field-invalid' : ''}`}>
        <label htmlFor={id}>{label}</label>
        <select id={id} value={value.channel} onChange={(e) => onChange({ ...value, channel: e.target.value })}>
          <option value="">{self}</option>
          {channels.map((c) => (
            <option key={c.id} value={String(c.channel_id)}>
              {c.title ?? c.channel_id}
            </option>
          ))}
          <option value={PERSON}>{t('recipient.person')}</option>
        </select>
        {errors.to_channel_id && (
          <div className="field-error" role="alert">
            {errors.to_channel_id}
          </div>
        )}
      </div>
      {value.channel === PERSON && (
        <Field
          label={t('recipient.username')}
          value={value.username}
          onChange={(e) => onChange({ ...value, username: e.target.value })}
          error={errors.to_username}
          hint={t('recipient.usernameHint')}
          placeholder="@username"
          required
        />
      )}
    </>
  );
}

/** Autobuy targets in the panel: which of them are channels, and how a target or a gift's receiver reads. */
import type { ChannelTarget, Target } from '../api/types';
import { recipientText } from '../components/RecipientPicker';
import type { I18n } from '../i18n';

export function isChannelTarget(target: Target): target is ChannelTarget {
  return target.kind === 'channel' && target.channel_id !== null;
}

/** A channel target by its title and id, or its id alone. */
export function channelLabel(c: ChannelTarget): string {
  return c.title ? `${c.title} (${c.channel_id})` : String(c.channel_id);
}

/** The channel targets of a list: what channel-only choices (manual buy, forced target, pickers) offer. */
export function channelTargets(list: readonly Target[]): ChannelTarget[] {
  return list.filter(isChannelTarget);
}

/** Who a target sends gifts to, in a few words: the channel id, "the buying account" or "@name". */
export function targetWho(target: Target, t: I18n['t']): string {
  if (target.kind === 'user') return `@${target.username ?? ''}`;
  if (target.kind === 'self') return t('channels.selfLabel');
  return String(target.channel_id);
}

/** A target in a sentence: its title with who it sends to, or just who. */
export function targetLabel(target: Target, t: I18n['t']): string {
  const who = targetWho(target, t);
  return target.title ? `${target.title} (${who})` : who;
}

/**
 * Who received a purchase (a journal operation or a purchase event): "@name", a channel's title
 * (or its id when it is not among my targets), or "myself" when neither is set.
 */
export function receiverText(to: { channel_id: number | null; username?: string | null }, targets: readonly Target[], t: I18n['t']): string {
  return recipientText({ to_channel_id: to.channel_id, to_username: to.username ?? null }, targets, t('recipient.myself'));
}

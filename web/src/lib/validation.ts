import type { BigId, GiftKind, NewProfile, TargetInput, TargetKind } from '../api/types';

/** Field name -> i18n message key. Empty when the form is valid. */
export type FieldErrors<K extends string = string> = Partial<Record<K, string>>;

export interface TargetForm {
  /** Who receives the gifts: a `TargetKind`. */
  kind: string;
  /** The channel's Bot API id (kind channel only). */
  channel_id: string;
  /** The person's @username (kind user only). */
  username: string;
  title: string;
  price_min: string;
  price_max: string;
  supply_min: string;
  supply_max: string;
  /** Gift ids never bought onto the target, separated by commas, spaces or new lines. */
  exclude_ids: string;
  /** Excluded gift kinds, comma-separated codes (the checkboxes keep it). */
  exclude_kinds: string;
}

/** The most gift ids one exclude list holds, as the server enforces. */
export const MAX_EXCLUDED_GIFTS = 1000;

/**
 * Parses a list of gift ids. Ids above 2^53 stay decimal strings, because a JavaScript number
 * would round them onto another gift's id; duplicates are dropped.
 */
export function parseGiftIdList(text: string): { value: BigId[]; error?: string } {
  const parts = text.split(/[\s,;]+/).filter((p) => p !== '');
  const seen = new Set<string>();
  const value: BigId[] = [];
  for (const p of parts) {
    if (!/^\d+$/.test(p) || /^0+$/.test(p) || BigInt(p) > 9223372036854775807n) return { value: [], error: 'validation.giftIdList' };
    const canonical = BigInt(p).toString();
    if (seen.has(canonical)) continue;
    seen.add(canonical);
    value.push(Number.isSafeInteger(Number(canonical)) ? Number(canonical) : canonical);
  }
  if (value.length > MAX_EXCLUDED_GIFTS) return { value: [], error: 'validation.giftIdListTooLong' };
  return { value };
}

/** The kinds kept in a form's comma-separated field, in a stable order. */
export function parseKinds(text: string): GiftKind[] {
  const chosen = new Set(text.split(',').filter((k) => k !== ''));
  return (['birthday', 'premium_only'] as const).filter((k) => chosen.has(k));
}

const INTEGER = /^-?\d+$/;

/** Parses an optional non-negative integer field. */
function optionalCount(text: string): { value: number | null; error?: string } {
  const t = text.trim();
  if (t === '') return { value: null };
  if (!INTEGER.test(t)) return { value: null, error: 'validation.integer' };
  const n = Number(t);
  if (n < 0) return { value: null, error: 'validation.nonNegative' };
  if (!Number.isSafeInteger(n)) return { value: null, error: 'validation.tooLarge' };
  return { value: n };
}

/** A channel id in Bot API form: -100 followed by the channel's digits. */
export function isBotApiChannelId(text: string): boolean {
  return /^-100\d{5,}$/.test(text.trim()) && Number.isSafeInteger(Number(text.trim()));
}

/**
 * A Telegram username as the server takes it: 5 to 32 latin letters, digits and `_`, starting
 * with a letter and not ending with `_`; an `@` in front and spaces around are allowed.
 */
export function isTelegramUsername(text: string): boolean {
  return /^[a-zA-Z][a-zA-Z0-9_]{3,30}[a-zA-Z0-9]$/.test(stripAt(text));
}

function stripAt(text: string): string {
  const t = text.trim();
  return t.startsWith('@') ? t.slice(1) : t;
}

const KINDS: readonly TargetKind[] = ['channel', 'self', 'user'];

/**
 * Checks a target's form. The value names the recipient with both `channel_id` and `username`
 * (null where not used), so that a PATCH with it always sets the recipient.
 */
export function validateTarget(form: TargetForm): { errors: FieldErrors<keyof TargetForm>; value: TargetInput | null } {
  const errors: FieldErrors<keyof TargetForm> = {};
  const kind = KINDS.find((k) => k === form.kind) ?? 'channel';
  if (kind === 'channel') {
    if (form.channel_id.trim() === '') errors.channel_id = 'validation.required';
    else if (!isBotApiChannelId(form.channel_id)) errors.channel_id = 'validation.channelId';
  }
  if (kind === 'user') {
    if (stripAt(form.username) === '') errors.username = 'validation.required';
    else if (!isTelegramUsername(form.username)) errors.username = 'validation.username';
  }
  const pMin = optionalCount(form.price_min);
  const pMax = optionalCount(form.price_max);
  const sMin = optionalCount(form.supply_min);
  const sMax = optionalCount(form.supply_max);
  if (pMin.error) errors.price_min = pMin.error;
  if (pMax.error) errors.price_max = pMax.error;
  if (sMin.error) errors.supply_min = sMin.error;
  if (sMax.error) errors.supply_max = sMax.error;
  if (!errors.price_max && pMin.value !== null && pMax.value !== null && pMin.value > pMax.value)
    errors.price_max = 'validation.minMax';
  if (!errors.supply_max && sMin.value !== null && sMax.value !== null && sMin.value > sMax.value)
    errors.supply_max = 'validation.minMax';
  const ids = parseGiftIdList(form.exclude_ids);
  if (ids.error) errors.exclude_ids = ids.error;
  if (Object.keys(errors).length > 0) return { errors, value: null };
  return {
    errors,
    value: {
      channel_id: kind === 'channel' ? Number(form.channel_id.trim()) : null,
      username: kind === 'user' ? stripAt(form.username).toLowerCase() : null,
      title: form.title.trim() === '' ? null : form.title.trim(),
      price_min: pMin.value,
      price_max: pMax.value,
      supply_min: sMin.value,
      supply_max: sMax.value,
      exclude: { gift_ids: ids.value, kinds: parseKinds(form.exclude_kinds) },
    },
  };
}

/** A new target's POST body: only the recipient key in use (none for the buying account itself). */
export function createBody(value: TargetInput): TargetInput {
  const { channel_id: channelId, username, ...rest } = value;
  return {
    ...(channelId !== null && channelId !== undefined ? { channel_id: channelId } : {}),
    ...(username !== null && username !== undefined ? { username } : {}),
    ...rest,
  };
}

export interface ProfileForm {
  name: string;
  api_id: string;
  api_hash: string;
}

export function validateProfile(form: ProfileForm): { errors: FieldErrors<keyof ProfileForm>; value: NewProfile | null } {
  const errors: FieldErrors<keyof ProfileForm> = {};
  if (form.name.trim() === '') errors.name = 'validation.required';
  const id = form.api_id.trim();
  if (id === '') errors.api_id = 'validation.required';
  else if (!/^\d+$/.test(id) || Number(id) <= 0 || Number(id) > 2147483647) errors.api_id = 'validation.apiId';
  const hash = form.api_hash.trim();
  if (hash === '') errors.api_hash = 'validation.required';
  else if (!/^[0-9a-fA-F]{32}$/.test(hash)) errors.api_hash = 'validation.apiHash';
  if (Object.keys(errors).length > 0) return { errors, value: null };
  return { errors, value: { name: form.name.trim(), api_id: Number(id), api_hash: hash.toLowerCase() } };
}

export interface CredentialsForm {
  username: string;
  password: string;
}

export function validateCredentials(form: CredentialsForm, registering: boolean): FieldErrors<keyof CredentialsForm> {
  const errors: FieldErrors<keyof CredentialsForm> = {};
  if (form.username.trim() === '') errors.username = 'validation.required';
  if (form.password === '') errors.password = 'validation.required';
  else if (registering && form.password.length < 10) errors.password = 'validation.passwordShort';
  return errors;
}

/** Parses a list of chat ids separated by commas, spaces or new lines. */
export function parseChatList(text: string): { value: number[]; error?: string } {
  const parts = text.split(/[\s,;]+/).filter((p) => p !== '');
  const value: number[] = [];
  for (const p of parts) {
    if (!INTEGER.test(p) || !Number.isSafeInteger(Number(p))) return { value: [], error: 'validation.chatList' };
    value.push(Number(p));
  }
  return { value };
}

import { describe, expect, it } from 'vitest';
import { createBody, isBotApiChannelId, isTelegramUsername, parseChatList, parseGiftIdList, validateTarget, validateCredentials, validateProfile, type TargetForm } from './validation';

const form = (over: Partial<TargetForm> = {}): TargetForm => ({
  kind: 'channel',
  channel_id: '-1001234567890',
  username: '',
  title: '',
  price_min: '',
  price_max: '',
  supply_min: '',
  supply_max: '',
  exclude_ids: '',
  exclude_kinds: '',
  ...over,
});

describe('validateTarget', () => {
  it('accepts a Bot API id with open bounds and turns blanks into null', () => {
    const { errors, value } = validateTarget(form({ title: '  Main ' }));
    expect(errors).toEqual({});
    expect(value).toEqual({
      channel_id: -1001234567890,
      username: null,
      title: 'Main',
      price_min: null,
      price_max: null,
      supply_min: null,
      supply_max: null,
      exclude: { gift_ids: [], kinds: [] },
    });
  });

  it('reads the exclude list: big ids stay exact strings, duplicates go, kinds keep their order', () => {
    const { errors, value } = validateTarget(
      form({ exclude_ids: '5170145012310081615, 7 7;\n007', exclude_kinds: 'premium_only,birthday' }),
    );
    expect(errors).toEqual({});
    expect(value!.exclude).toEqual({ gift_ids: ['5170145012310081615', 7], kinds: ['birthday', 'premium_only'] });
  });

  it('refuses gift ids that are not positive whole numbers, or too many', () => {
    for (const bad of ['-5', '0', '1.5', 'abc', '9223372036854775808']) {
      expect(validateTarget(form({ exclude_ids: bad })).errors.exclude_ids, bad).toBe('validation.giftIdList');
    }
    const many = Array.from({ length: 1001 }, (_, i) => String(i + 1)).join(',');
    expect(parseGiftIdList(many).error).toBe('validation.giftIdListTooLong');
    expect(parseGiftIdList(many + ',1').error).toBe('validation.giftIdListTooLong');
    expect(parseGiftIdList(Array.from({ length: 1000 }, (_, i) => String(i + 1)).join(',') + ',1').value).toHaveLength(1000);
  });

  it('refuses ids not in Bot API form', () => {
    expect(validateTarget(form({ channel_id: '1234567890' })).errors.channel_id).toBe('validation.channelId');
    expect(validateTarget(form({ channel_id: '-1234' })).errors.channel_id).toBe('validation.channelId');
    expect(validateTarget(form({ channel_id: '' })).errors.channel_id).toBe('validation.required');
  });

  it('refuses negatives, fractions and min greater than max', () => {
    const { errors, value } = validateTarget(form({ price_min: '-1', supply_min: '2.5', price_max: '10' }));
    expect(value).toBeNull();
    expect(errors.price_min).toBe('validation.nonNegative');
    expect(errors.supply_min).toBe('validation.integer');
    expect(validateTarget(form({ price_min: '500', price_max: '100' })).errors.price_max).toBe('validation.minMax');
    expect(validateTarget(form({ supply_min: '10', supply_max: '1' })).errors.supply_max).toBe('validation.minMax');
    expect(validateTarget(form({ price_min: '100', price_max: '100' })).errors).toEqual({});
  });

  it('knows the Bot API form', () => {
    expect(isBotApiChannelId('-1001')).toBe(false);
    expect(isBotApiChannelId(' -100123456 ')).toBe(true);
  });

  it('reads a self target with no recipient, ignoring the other kinds\' fields', () => {
    const { errors, value } = validateTarget(form({ kind: 'self', channel_id: 'junk', username: '!' }));
    expect(errors).toEqual({});
    expect(value).toMatchObject({ channel_id: null, username: null });
    // A new one is sent with neither key.
    expect(Object.keys(createBody(value!))).not.toContain('channel_id');
    expect(Object.keys(createBody(value!))).not.toContain('username');
  });

  it('reads a user target: the username without @, in lower case, and only that key on create', () => {
    const { errors, value } = validateTarget(form({ kind: 'user', channel_id: '', username: ' @Gift_Friend ' }));
    expect(errors).toEqual({});
    expect(value).toMatchObject({ channel_id: null, username: 'gift_friend' });
    expect(createBody(value!)).toEqual({ username: 'gift_friend', title: null, price_min: null, price_max: null, supply_min: null, supply_max: null, exclude: { gift_ids: [], kinds: [] } });
    expect(validateTarget(form({ kind: 'user', username: '' })).errors.username).toBe('validation.required');
    expect(validateTarget(form({ kind: 'user', username: '@' })).errors.username).toBe('validation.required');
    expect(validateTarget(form({ kind: 'user', username: 'abc' })).errors.username).toBe('validation.username');
  });

  it('checks usernames as the server does', () => {
    for (const ok of ['abcde', '@abcde', 'a_b_c1', 'A' + 'b'.repeat(31)]) expect(isTelegramUsername(ok), ok).toBe(true);
    for (const bad of ['abcd', '1abcde', '_abcde', 'abcde_', 'abc-de', 'абвгд', 'a'.repeat(33), '@@abcde', 'ab cde']) expect(isTelegramUsername(bad), bad).toBe(false);
  });
});

describe('validateProfile', () => {
  it('checks api_id and the 32-hex api_hash', () => {
    expect(validateProfile({ name: 'main', api_id: '12345', api_hash: '0123456789abcdef0123456789ABCDEF' }).value).toEqual({
      name: 'main',
      api_id: 12345,
      api_hash: '0123456789abcdef0123456789abcdef',
    });
    const { errors } = validateProfile({ name: ' ', api_id: '-5', api_hash: 'xyz' });
    expect(errors).toEqual({ name: 'validation.required', api_id: 'validation.apiId', api_hash: 'validation.apiHash' });
  });
});

describe('validateCredentials and parseChatList', () => {
  it('requires both fields and a long enough password only when registering', () => {
    expect(validateCredentials({ username: '', password: '' }, false)).toEqual({ username: 'validation.required', password: 'validation.required' });
    expect(validateCredentials({ username: 'a', password: 'short' }, false)).toEqual({});
    expect(validateCredentials({ username: 'a', password: 'short' }, true)).toEqual({ password: 'validation.passwordShort' });
  });

  it('parses chat lists', () => {
    expect(parseChatList('-1001, 42\n7')).toEqual({ value: [-1001, 42, 7] });
    expect(parseChatList('')).toEqual({ value: [] });
    expect(parseChatList('12, abc').error).toBe('validation.chatList');
  });
});

import { request, requestNdjson } from './http';
import type * as T from './types';

const enc = encodeURIComponent;

export const auth = {
  register: (c: T.Credentials) => request<T.User>('POST', '/api/auth/register', c),
  login: (c: T.Credentials) => request<T.User>('POST', '/api/auth/login', c),
  logout: () => request<void>('POST', '/api/auth/logout'),
  me: () => request<T.User>('GET', '/api/auth/me'),
  sessions: () => request<{ sessions: T.WebSession[] }>('GET', '/api/auth/sessions').then((r) => r.sessions),
  revoke: (id: number) => request<void>('DELETE', `/api/auth/sessions/${id}`),
};

export const profiles = {
  list: () => request<{ profiles: T.ApiProfile[] }>('GET', '/api/profiles').then((r) => r.profiles),
  create: (p: T.NewProfile) => request<T.ApiProfile>('POST', '/api/profiles', p),
  rename: (id: number, name: string) => request<T.ApiProfile>('PATCH', `/api/profiles/${id}`, { name }),
  remove: (id: number) => request<void>('DELETE', `/api/profiles/${id}`),
};

export const accounts = {
  list: () => request<{ accounts: T.Account[] }>('GET', '/api/accounts').then((r) => r.accounts),
  startLogin: (phone: string, apiProfileId: number | null) =>
    request<T.LoginStepResponse>('POST', '/api/accounts/login', { phone, api_profile_id: apiProfileId }),
  sendCode: (loginId: string, code: string) =>
    request<T.LoginStepResponse>('POST', `/api/accounts/login/${enc(loginId)}/code`, { code }),
  sendPassword: (loginId: string, password: string) =>
    request<T.LoginStepResponse>('POST', `/api/accounts/login/${enc(loginId)}/password`, { password }),
  cancelLogin: (loginId: string) => request<void>('DELETE', `/api/accounts/login/${enc(loginId)}`),
  remove: (id: number) => request<void>('DELETE', `/api/accounts/${id}`),
  refresh: (id: number, onEvent: (e: T.AccountRefreshEvent) => void, signal?: AbortSignal) =>
    requestNdjson<T.AccountRefreshEvent>('POST', `/api/accounts/${id}/refresh`, onEvent, {}, signal),
};

export const gifts = {
  list: () => request<{ gifts: T.Gift[] }>('GET', '/api/gifts').then((r) => r.gifts),
  /** accountId is the account's Telegram id; the gift goes to `target`, one of my targets. */
  buy: (id: T.BigId, accountId: number, target: T.Target) =>
    request<T.BuyResult>('POST', `/api/gifts/${id}/buy`, {
      account_id: accountId,
      ...(target.kind === 'channel' ? { channel_id: target.channel_id } : {}),
      ...(target.kind === 'user' ? { username: target.username } : {}),
    }),
  refresh: (onEvent: (e: T.GiftRefreshEvent) => void, signal?: AbortSignal) =>
    requestNdjson<T.GiftRefreshEvent>('POST', '/api/gifts/refresh', onEvent, {}, signal),
};

export const resale = {
  watches: () => request<{ watches: T.ResaleWatch[] }>('GET', '/api/resale/watches').then((r) => r.watches),
  addWatch: (w: T.ResaleWatchInput) => request<T.ResaleWatch>('POST', '/api/resale/watches', w),
  removeWatch: (id: number) => request<void>('DELETE', `/api/resale/watches/${id}`),
  purchases: () => request<{ purchases: T.ResalePurchase[] }>('GET', '/api/resale/purchases').then((r) => r.purchases),
  listings: (giftId: string) =>
    request<{ count: number; listings: T.ResaleListing[] }>('GET', `/api/resale/listings/${encodeURIComponent(giftId)}`),
};

export const auctions = {
  plans: () => request<{ plans: T.AuctionPlan[] }>('GET', '/api/auctions/plans').then((r) => r.plans),
  addPlan: (p: T.AuctionPlanInput) => request<T.AuctionPlan>('POST', '/api/auctions/plans', p),
  removePlan: (id: number) => request<void>('DELETE', `/api/auctions/plans/${id}`),
  budget: () => request<{ budget: number }>('GET', '/api/auctions/budget').then((r) => r.budget),
  setBudget: (budget: number) => request<{ budget: number }>('PUT', '/api/auctions/budget', { budget }).then((r) => r.budget),
  bids: () => request<{ bids: T.AuctionBid[] }>('GET', '/api/auctions/bids').then((r) => r.bids),
  state: (giftId: string) => request<T.AuctionLiveState>('GET', `/api/auctions/${enc(giftId)}/state`),
};

/** Autobuy targets (channels, the buying account itself, people); the paths keep their old name. */
export const channels = {
  list: () => request<{ channels: T.Target[] }>('GET', '/api/channels').then((r) => r.channels),
  create: (c: T.TargetInput) => request<T.Target>('POST', '/api/channels', c),
  update: (id: number, c: Partial<T.TargetInput>) => request<T.Target>('PATCH', `/api/channels/${id}`, c),
  remove: (id: number) => request<void>('DELETE', `/api/channels/${id}`),
  /** A channel target's membership check; the server refuses it for other kinds. */
  check: (id: number) => request<T.ChannelCheck>('POST', `/api/channels/${id}/check`, {}),
  /** With a gift's id and kinds, targets whose exclude list refuses the gift are left out. */
  preview: (price: number, supply: number, gift?: { id: T.BigId; kinds: T.GiftKind[] }) =>
    request<T.Preview>('POST', '/api/channels/preview', gift ? { price, supply, gift_id: String(gift.id), kinds: gift.kinds } : { price, supply }),
};

export const settings = {
  get: () => request<T.Settings>('GET', '/api/settings'),
  patch: (p: T.SettingsPatch) => request<T.Settings>('PATCH', '/api/settings', p),
};

export const history = {
  runs: (before?: number, limit = 20) =>
    request<T.RunPage>('GET', `/api/runs?limit=${limit}${before !== undefined ? `&before=${before}` : ''}`),
  run: (id: number) => request<T.RunDetail>('GET', `/api/runs/${id}`),
  spending: (days = 30) => request<T.Spending>('GET', `/api/stats/spending?days=${days}`),
};

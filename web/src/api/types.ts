// Shapes of the GiftBuyer API (see /api/openapi.json). Times are unix seconds.

import type { BigId } from './json';

export type { BigId };

export interface User {
  id: number;
  username: string;
  created_at: number;
}

export interface Credentials {
  username: string;
  password: string;
  remember: boolean;
}

export interface WebSession {
  id: number;
  created_at: number;
  expires_at: number;
  user_agent: string | null;
  ip: string | null;
  current: boolean;
}

export interface ApiProfile {
  id: number;
  name: string;
  api_id: number;
  api_hash_set: boolean;
  accounts: number;
  created_at: number;
}

export interface NewProfile {
  name: string;
  api_id: number;
  api_hash: string;
}

export interface Account {
  id: number;
  telegram_id: number | null;
  first_name: string | null;
  username: string | null;
  masked_phone: string;
  premium: boolean;
  premium_until: number | null;
  stars: number | null;
  stars_refreshed_at: number | null;
  api_profile_id: number | null;
  logged_in: boolean;
}

export type LoginStep = 'code' | 'password' | 'done';

export interface LoginStepResponse {
  step: LoginStep;
  login_id?: string;
  masked_phone?: string;
  expires_in_secs?: number;
  demo_code?: string;
  hint?: string;
  account?: Account;
}

export interface AccountRefreshEvent {
  stage: string;
  account?: Account;
  error?: { code: string; message: string };
}

/** One of my accounts' own limits on a gift. */
export interface AccountGift {
  /** The account's Telegram user id. */
  account_id: number;
  locked_until: number | null;
  per_user_remains: number | null;
  seen_at: number;
}

export interface GiftAuction {
  slug: string;
  gifts_per_round: number;
  start_date: number | null;
}

export interface Gift {
  /** Telegram gift ids exceed 2^53: large ones arrive as strings (see api/json.ts). */
  id: BigId;
  title: string | null;
  price: number;
  limited: boolean;
  supply: number | null;
  remaining: number | null;
  sold_out: boolean;
  require_premium: boolean;
  /** Telegram's birthday flag; absent from servers older than the exclude lists. */
  birthday?: boolean;
  has_sticker: boolean;
  first_seen: number;
  last_seen: number;
  sold_out_at: number | null;
  /** Set for a gift sold by auction: it takes bids only and is never bought as a purchase. */
  auction?: GiftAuction | null;
  /** My accounts' per-user limits and locks on this gift, where they have any. */
  accounts?: AccountGift[];
}

export interface GiftRefreshEvent {
  stage: string;
  outcome?: string;
  error?: string;
}

export interface BuyResult {
  run_id: number;
  outcome: string;
  error?: string;
}

/** A kind of gift a target can exclude, named after Telegram's `starGift` flag. */
export type GiftKind = 'birthday' | 'premium_only';

export const GIFT_KINDS: readonly GiftKind[] = ['birthday', 'premium_only'];

/** Gifts a target never takes: ids (big ones as strings) and kinds. */
export interface ExcludeList {
  gift_ids: BigId[];
  kinds: GiftKind[];
}

/** Who a target sends gifts to: one of my channels, the buying account itself, or a person. */
export type TargetKind = 'channel' | 'self' | 'user';

/**
 * Where autobuy sends new gifts that pass its filters. `channel_id` is set for a channel only,
 * `username` (lower case, without @) for a person only; neither for the buying account itself.
 */
export interface Target {
  id: number;
  kind: TargetKind;
  channel_id: number | null;
  username: string | null;
  title: string | null;
  price_min: number | null;
  price_max: number | null;
  supply_min: number | null;
  supply_max: number | null;
  exclude: ExcludeList;
}

/** A channel target: the only kind manual buys, access checks and channel pickers take. */
export interface ChannelTarget extends Target {
  kind: 'channel';
  channel_id: number;
}

/**
 * POST /api/channels (and, partly, PATCH): neither `channel_id` nor `username` means the buying
 * account itself; a PATCH with either key re-reads the recipient from both.
 */
export interface TargetInput {
  channel_id?: number | null;
  username?: string | null;
  title: string | null;
  price_min: number | null;
  price_max: number | null;
  supply_min: number | null;
  supply_max: number | null;
  exclude: ExcludeList;
}

export type CheckStatus = 'can_post' | 'read_only' | 'not_a_member' | 'unavailable';

export interface AccountCheck {
  account_id: number;
  username: string | null;
  status: CheckStatus;
  message: string | null;
}

export interface ChannelCheck {
  id: number;
  channel_id: number;
  title: string | null;
  telegram_title: string | null;
  usable: boolean;
  /** Whether the channel takes star gifts at all (needed to win an auction gift for it); null when unknown. */
  takes_star_gifts: boolean | null;
  checked_at: number;
  accounts: AccountCheck[];
}

export interface Preview {
  best: Target | null;
  matching: Target[];
  forced_target: number | null;
}

export interface Settings {
  bot_token_set: boolean;
  bot_username?: string;
  notification_chats: number[];
  forced_target: number | null;
  autobuy: boolean;
  report_lang: string;
  priority: Priority;
}

/** The order in which new gifts get the stars when a balance cannot buy them all. */
export type Priority = 'scarcest_first' | 'priciest_first';

/** PATCH /api/settings: a left-out field is kept, `null` clears it. */
export interface SettingsPatch {
  bot_token?: string | null;
  notification_chats?: number[] | null;
  forced_target?: number | null;
  autobuy?: boolean;
  report_lang?: string;
  priority?: Priority;
}

export interface RunSummary {
  id: number;
  started_at: number;
  operations: number;
  bought: number;
  failed: number;
  unknown: number;
  has_report: boolean;
}

export interface RunPage {
  runs: RunSummary[];
  next_before?: number;
}

export interface Operation {
  seq: number;
  account_id: number;
  /** The receiving channel; null for the buying account itself or a person. */
  channel_id: number | null;
  /** The receiving person's username (without @); null otherwise. Both null: the buying account. */
  username: string | null;
  gift_id: BigId;
  price: number;
  supply: number;
  status: string;
  error: string | null;
  updated_at: number;
}

export interface RunDetail {
  run: RunSummary;
  report: string | null;
  report_saved_at: number | null;
  operations: Operation[];
  operations_available: boolean;
}

export interface DaySpending {
  date: string;
  stars: number;
  purchases: number;
}

export interface Spending {
  days: DaySpending[];
  total_stars: number;
  available: boolean;
}

export interface ResaleWatch {
  id: number;
  gift_id: BigId;
  max_price: number;
  copies: number;
  bought: number;
  model: string | null;
  backdrop: string | null;
  symbol: string | null;
  /** The receiving channel; null for the buying account itself or a person. */
  to_channel_id: number | null;
  /** The receiving person's username (without @); null otherwise. */
  to_username: string | null;
}

export interface ResaleWatchInput {
  /** Sent as a decimal string: gift ids exceed what a number holds exactly. */
  gift_id: string;
  max_price: number;
  copies: number;
  model?: string | null;
  backdrop?: string | null;
  symbol?: string | null;
  to_channel_id?: number | null;
  to_username?: string | null;
}

export interface ResalePurchase {
  id: number;
  watch_id: number;
  account_id: number;
  gift_id: BigId;
  slug: string;
  price: number;
  to_channel_id: number | null;
  to_username?: string | null;
  status: 'planned' | 'sending' | 'bought' | 'failed' | 'unknown';
  error: string | null;
  updated_at: number;
}

export interface ResaleListing {
  unique_id: BigId;
  gift_id: BigId;
  slug: string;
  title: string;
  num: number;
  price: number | null;
  model: string | null;
  backdrop: string | null;
  symbol: string | null;
  require_premium: boolean;
}

/** One of my auction plans: bid in a gift's auction up to `max_bid` until `wanted` gifts are won. */
export interface AuctionPlan {
  id: number;
  /** A decimal string: gift ids exceed what a number holds exactly. */
  gift_id: string;
  max_bid: number;
  wanted: number;
  /** The receiving channel; null for the bidding account itself or a person. */
  to_channel_id: number | null;
  /** The receiving person's username; null otherwise (absent from older servers). */
  to_username?: string | null;
}

export interface AuctionPlanInput {
  /** Sent as a decimal string: gift ids exceed what a number holds exactly. */
  gift_id: string;
  max_bid: number;
  wanted: number;
  to_channel_id: number | null;
  to_username: string | null;
}

/** One bid of mine in the journal; `bought` means placed (Telegram took the stars). */
export interface AuctionBid {
  id: number;
  plan_id: number;
  gift_id: string;
  account_id: number;
  to_channel_id: number | null;
  to_username?: string | null;
  total: number;
  standing: number | null;
  status: 'planned' | 'sending' | 'bought' | 'failed' | 'unknown';
  error: string | null;
  updated_at: number;
}

export interface AuctionLevel {
  pos: number;
  amount: number;
}

/** An auction now, as one of my accounts sees it; the auction's fields are null once finished. */
export interface AuctionLiveState {
  status: 'running' | 'finished';
  version: number | null;
  current_round: number | null;
  total_rounds: number | null;
  gifts_left: number | null;
  gifts_per_round: number | null;
  min_bid: number | null;
  start_date: number | null;
  end_date: number | null;
  next_round_at: number | null;
  levels: AuctionLevel[];
  account_id: number;
  my: {
    bid: number | null;
    min_bid: number | null;
    returned: boolean;
    acquired: number;
    /** The lowest position my bid can have as far as the levels prove; null when unknown. */
    position: number | null;
  };
}

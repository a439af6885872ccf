-- Gift auctions: each user's auction plans, their bidding budget and the bid journal.
--
-- A plan's recipient is a channel in Bot API form, or NULL for the bidding account itself, as
-- in resale_watches. Limits that belong to the core (the most gifts a plan may want) are
-- checked when a row is read back, not repeated here, where changing them would take a
-- migration.
CREATE TABLE auction_plans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    gift_id INTEGER NOT NULL,
    max_bid INTEGER NOT NULL,
    channel_id INTEGER,
    wanted INTEGER NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX auction_plans_by_user ON auction_plans (user_id, id);

-- The most all of a user's bids may hold. A user without a row has a budget of zero: bidding
-- commits stars before anything is won, so it stays off until the user sets one.
CREATE TABLE bid_budgets (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    budget INTEGER NOT NULL CHECK (budget >= 0),
    updated_at INTEGER NOT NULL
) STRICT;

-- One row per bid, from planned to its outcome ('bought' means Telegram took the bid).
-- plan_id is a plain column, not a foreign key: deleting a plan keeps the record of what its
-- bids hold, which still counts against the budget. account_id is the Telegram user id,
-- without a foreign key for the same reason as in journal. standing is the total a raise
-- replaces (NULL for a first bid). chain_id groups a first bid with its raises: a first bid's
-- chain is its own id, set in the same transaction that inserts it, so no committed row lacks
-- it.
CREATE TABLE bid_journal (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    plan_id INTEGER NOT NULL,
    account_id INTEGER NOT NULL,
    gift_id INTEGER NOT NULL,
    channel_id INTEGER,
    total INTEGER NOT NULL,
    standing INTEGER,
    chain_id INTEGER,
    status TEXT NOT NULL CHECK (status IN ('planned', 'sending', 'bought', 'failed', 'unknown')),
    error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
-- A total is journaled at most once per user, account and gift unless every earlier entry
-- with it failed, and no bid is journaled while another of the same user, account and gift is
-- planned or sending: the database itself refuses the second row, so two instances bidding at
-- the same moment cannot both record a bid. No move ever leaves 'failed' or enters 'planned'
-- or 'sending' from outside them, so an update can never break these indexes either.
CREATE UNIQUE INDEX bid_journal_one_live_per_total ON bid_journal
    (user_id, account_id, gift_id, total) WHERE status <> 'failed';
CREATE UNIQUE INDEX bid_journal_one_open_per_gift ON bid_journal (user_id, account_id, gift_id)
    WHERE status IN ('planned', 'sending');
-- What each user's chains hold, and each plan's newest bid, read on every bidder tick.
CREATE INDEX bid_journal_live_by_chain ON bid_journal (user_id, chain_id, total)
    WHERE status <> 'failed';
CREATE INDEX bid_journal_live_by_plan ON bid_journal (user_id, plan_id, id)
    WHERE status <> 'failed';
CREATE INDEX bid_journal_by_user ON bid_journal (user_id, id);
CREATE INDEX bid_journal_open ON bid_journal (status) WHERE status IN ('planned', 'sending');

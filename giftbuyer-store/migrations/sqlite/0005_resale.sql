-- The resale market of unique gifts: each user's watches and the resale journal.
--
-- A watch's recipient is a channel in Bot API form, or NULL for the buying account itself.
-- Attribute names are stored as the core normalises them (trimmed, lowercase); the store checks
-- every value again when it reads a row back, so limits that belong to the core (the most
-- copies a watch may want, the longest attribute name) are not repeated here, where changing
-- them would take a migration.
CREATE TABLE resale_watches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    gift_id INTEGER NOT NULL,
    model TEXT,
    backdrop TEXT,
    symbol TEXT,
    max_price INTEGER NOT NULL,
    channel_id INTEGER,
    copies INTEGER NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX resale_watches_by_user ON resale_watches (user_id, id);

-- One row per resale purchase, from planned to its outcome. watch_id is a plain column, not a
-- foreign key: deleting a watch keeps the record of what it bought (money spent), and the
-- journal's user foreign key cascades like the purchase journal's does through runs.
-- account_id is the Telegram user id, without a foreign key for the same reason as in journal.
CREATE TABLE resale_journal (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    watch_id INTEGER NOT NULL,
    account_id INTEGER NOT NULL,
    unique_id INTEGER NOT NULL,
    gift_id INTEGER NOT NULL,
    slug TEXT NOT NULL,
    price INTEGER NOT NULL,
    channel_id INTEGER,
    status TEXT NOT NULL CHECK (status IN ('planned', 'sending', 'bought', 'failed', 'unknown')),
    error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
-- A unique gift is journaled at most once per user unless every earlier entry for it failed:
-- the database itself refuses a second live entry, so two instances planning the same listing
-- at the same moment cannot both record it. No move ever leaves 'failed', so an update can
-- never break this index either.
CREATE UNIQUE INDEX resale_journal_one_live_per_slug ON resale_journal (user_id, slug)
    WHERE status <> 'failed';
-- What each watch has bought (or may have bought), counted for every poll.
CREATE INDEX resale_journal_live_by_watch ON resale_journal (user_id, watch_id)
    WHERE status <> 'failed';
CREATE INDEX resale_journal_by_user ON resale_journal (user_id, id);
CREATE INDEX resale_journal_open ON resale_journal (status) WHERE status IN ('planned', 'sending');

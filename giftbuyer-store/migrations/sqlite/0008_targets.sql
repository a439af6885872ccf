-- Autobuy buys onto targets, not only channels: a target is a channel (channel_id set), the
-- buying account itself (channel_id and username NULL) or a Telegram user (username set, lower
-- case and without the @), the same two columns as resale_watches and auction_plans since
-- migration 7. The table of targets keeps its first name, channels. The purchase journal
-- records the recipient of each operation the same way.
--
-- Both columns set is refused by a CHECK here. Each recipient appears at most once in a
-- user's list: one row per channel id, one per username and one for the account itself,
-- which partial unique indexes enforce (a plain UNIQUE would let any number of rows with NULL
-- through).
--
-- SQLite cannot drop a NOT NULL or a table's UNIQUE, nor add a CHECK to a table, so both
-- tables are rebuilt the way its documentation describes: create the new table, copy every
-- row with its ids, drop the old table, rename the new one, and create the indexes again. No
-- table references channels or journal by foreign key, so dropping them cascades nothing, and
-- the copies keep every column as it was: a channel row stays a channel target and a journal
-- row keeps its channel. The runner applies this inside its one transaction, so a failure
-- leaves both tables as they were.

CREATE TABLE channels_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel_id INTEGER,
    username TEXT,
    title TEXT,
    price_min INTEGER,
    price_max INTEGER,
    supply_min INTEGER,
    supply_max INTEGER,
    created_at INTEGER NOT NULL,
    exclude_gift_ids TEXT NOT NULL DEFAULT '',
    exclude_kinds TEXT NOT NULL DEFAULT '',
    CONSTRAINT channels_one_recipient CHECK (channel_id IS NULL OR username IS NULL)
) STRICT;

INSERT INTO channels_new (id, user_id, channel_id, username, title, price_min, price_max,
    supply_min, supply_max, created_at, exclude_gift_ids, exclude_kinds)
SELECT id, user_id, channel_id, NULL, title, price_min, price_max, supply_min, supply_max,
    created_at, exclude_gift_ids, exclude_kinds
FROM channels;

-- AUTOINCREMENT promises that a deleted row's id is never handed out again, which holds only
-- if the new table continues the old counter, not the largest id that is left.
DELETE FROM sqlite_sequence WHERE name = 'channels_new';
INSERT INTO sqlite_sequence (name, seq)
SELECT 'channels_new', seq FROM sqlite_sequence WHERE name = 'channels';

DROP TABLE channels;
ALTER TABLE channels_new RENAME TO channels;

CREATE UNIQUE INDEX channels_one_per_channel ON channels (user_id, channel_id)
    WHERE channel_id IS NOT NULL;
CREATE UNIQUE INDEX channels_one_per_username ON channels (user_id, username)
    WHERE username IS NOT NULL;
CREATE UNIQUE INDEX channels_one_self ON channels (user_id)
    WHERE channel_id IS NULL AND username IS NULL;
-- A user's list, read by user and row id; the old UNIQUE (user_id, channel_id) served it, and
-- the partial indexes above cannot.
CREATE INDEX channels_by_user ON channels (user_id, id);

CREATE TABLE journal_new (
    run_id INTEGER NOT NULL,
    seq INTEGER NOT NULL CHECK (seq >= 0),
    user_id INTEGER NOT NULL,
    account_id INTEGER NOT NULL,
    channel_id INTEGER,
    username TEXT,
    gift_id INTEGER NOT NULL,
    price INTEGER NOT NULL,
    supply INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('planned', 'sending', 'bought', 'failed', 'unknown')),
    error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (run_id, seq),
    FOREIGN KEY (run_id, user_id) REFERENCES runs (id, user_id) ON DELETE CASCADE,
    CONSTRAINT journal_one_recipient CHECK (channel_id IS NULL OR username IS NULL)
) STRICT;

INSERT INTO journal_new (run_id, seq, user_id, account_id, channel_id, username, gift_id, price,
    supply, status, error, created_at, updated_at)
SELECT run_id, seq, user_id, account_id, channel_id, NULL, gift_id, price, supply, status,
    error, created_at, updated_at
FROM journal;

DROP TABLE journal;
ALTER TABLE journal_new RENAME TO journal;

-- The indexes of migrations 1 and 2, dropped with the old table.
CREATE INDEX journal_open ON journal (status) WHERE status IN ('planned', 'sending');
CREATE INDEX journal_bought_by_user ON journal (user_id, updated_at) WHERE status = 'bought';

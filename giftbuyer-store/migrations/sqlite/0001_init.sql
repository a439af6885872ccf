-- GiftBuyer's first schema on SQLite. Times are unix seconds (INTEGER) unless a column says
-- otherwise; secrets are sealed BLOBs (see src/crypto.rs). Tables are STRICT so that a value of
-- the wrong type is refused instead of stored. Ids use AUTOINCREMENT so that a deleted row's id
-- is never handed out again (a run id or a session id must not come back).

CREATE TABLE store_meta (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_login_at INTEGER,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER
) STRICT;

CREATE TABLE web_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_sha256 BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    user_agent TEXT,
    ip TEXT
) STRICT;
CREATE INDEX web_sessions_by_user ON web_sessions (user_id);
CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_at);

CREATE TABLE api_profiles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    api_id INTEGER NOT NULL,
    api_hash BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (user_id, name),
    UNIQUE (id, user_id)
) STRICT;

-- The composite foreign keys (x_id, user_id) -> parent (id, user_id) make the schema itself
-- refuse a row that points at another user's parent.
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    phone BLOB NOT NULL,
    api_profile_id INTEGER,
    telegram_id INTEGER UNIQUE,
    username TEXT,
    first_name TEXT,
    premium INTEGER NOT NULL DEFAULT 0 CHECK (premium IN (0, 1)),
    premium_until INTEGER,
    balance INTEGER,
    balance_at INTEGER,
    created_at INTEGER NOT NULL,
    logged_in_at INTEGER,
    UNIQUE (id, user_id),
    FOREIGN KEY (api_profile_id, user_id) REFERENCES api_profiles (id, user_id)
) STRICT;
CREATE INDEX accounts_by_user ON accounts (user_id);

CREATE TABLE account_sessions (
    account_id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL,
    home_dc INTEGER NOT NULL,
    data BLOB NOT NULL,
    updated_at INTEGER NOT NULL,
    FOREIGN KEY (account_id, user_id) REFERENCES accounts (id, user_id) ON DELETE CASCADE
) STRICT;

-- expires_at_ms is in milliseconds of the database's clock, so instances with skewed clocks
-- still agree on who holds a lease.
CREATE TABLE account_leases (
    account_id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL,
    holder TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    FOREIGN KEY (account_id, user_id) REFERENCES accounts (id, user_id) ON DELETE CASCADE
) STRICT;

CREATE TABLE channels (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel_id INTEGER NOT NULL,
    title TEXT,
    price_min INTEGER,
    price_max INTEGER,
    supply_min INTEGER,
    supply_max INTEGER,
    created_at INTEGER NOT NULL,
    UNIQUE (user_id, channel_id)
) STRICT;

CREATE TABLE user_settings (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    autobuy INTEGER NOT NULL DEFAULT 0 CHECK (autobuy IN (0, 1)),
    report_lang TEXT NOT NULL DEFAULT 'en',
    forced_target INTEGER,
    bot_token BLOB,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE notification_chats (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    chat_id INTEGER NOT NULL,
    PRIMARY KEY (user_id, position)
) STRICT;

-- One row once a catalog was ever recorded: its presence is what ends the first run.
CREATE TABLE catalog_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seeded_at INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL
) STRICT;

-- sold_out_flag is Telegram's flag as sent; sold_out is the store's reading (the flag, or a
-- limited gift with nothing remaining), which sold-out transitions are computed from.
CREATE TABLE gifts (
    id INTEGER PRIMARY KEY,
    price INTEGER NOT NULL,
    limited INTEGER NOT NULL CHECK (limited IN (0, 1)),
    sold_out_flag INTEGER NOT NULL CHECK (sold_out_flag IN (0, 1)),
    sold_out INTEGER NOT NULL CHECK (sold_out IN (0, 1)),
    supply INTEGER,
    remaining INTEGER,
    require_premium INTEGER NOT NULL CHECK (require_premium IN (0, 1)),
    title TEXT,
    sticker_document_id INTEGER,
    sticker_access_hash INTEGER,
    sticker_file_reference BLOB,
    sticker_dc_id INTEGER,
    sticker_size INTEGER,
    sticker_cache_path TEXT,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    sold_out_at INTEGER
) STRICT;

CREATE TABLE gift_remaining (
    gift_id INTEGER NOT NULL REFERENCES gifts (id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    remaining INTEGER NOT NULL,
    PRIMARY KEY (gift_id, at)
) STRICT;

CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    started_at INTEGER NOT NULL,
    report TEXT,
    report_at INTEGER,
    UNIQUE (id, user_id)
) STRICT;
CREATE INDEX runs_by_user ON runs (user_id, id);

-- account_id is the Telegram user id and carries no foreign key: the journal is the record of
-- money spent and outlives the account's row.
CREATE TABLE journal (
    run_id INTEGER NOT NULL,
    seq INTEGER NOT NULL CHECK (seq >= 0),
    user_id INTEGER NOT NULL,
    account_id INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    gift_id INTEGER NOT NULL,
    price INTEGER NOT NULL,
    supply INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('planned', 'sending', 'bought', 'failed', 'unknown')),
    error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (run_id, seq),
    FOREIGN KEY (run_id, user_id) REFERENCES runs (id, user_id) ON DELETE CASCADE
) STRICT;
CREATE INDEX journal_open ON journal (status) WHERE status IN ('planned', 'sending');

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL
) STRICT;
CREATE INDEX audit_log_by_user ON audit_log (user_id, id);

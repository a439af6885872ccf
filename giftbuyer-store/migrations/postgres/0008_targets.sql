-- Autobuy buys onto targets, not only channels, the same change as
-- migrations/sqlite/0008_targets.sql: a target is a channel (channel_id set), the buying
-- account itself (channel_id and username NULL) or a Telegram user (username set, lower case
-- and without the @), the same two columns as resale_watches and auction_plans since
-- migration 7. The table of targets keeps its first name, channels. The purchase journal
-- records the recipient of each operation the same way.
--
-- Both columns set is refused by a CHECK here. Each recipient appears at most once in a
-- user's list: one row per channel id, one per username and one for the account itself,
-- which partial unique indexes enforce (a plain UNIQUE would let any number of rows with NULL
-- through). They replace the UNIQUE (user_id, channel_id) of migration 1, which PostgreSQL
-- named channels_user_id_channel_id_key.
--
-- PostgreSQL changes both tables in place, so every row keeps its id and its values: a
-- channel row stays a channel target and a journal row keeps its channel. Existing rows all
-- have a channel and no username, so the new CHECKs hold for them.

ALTER TABLE channels ALTER COLUMN channel_id DROP NOT NULL;
ALTER TABLE channels ADD COLUMN username TEXT;
ALTER TABLE channels ADD CONSTRAINT channels_one_recipient
    CHECK (channel_id IS NULL OR username IS NULL);
ALTER TABLE channels DROP CONSTRAINT channels_user_id_channel_id_key;
CREATE UNIQUE INDEX channels_one_per_channel ON channels (user_id, channel_id)
    WHERE channel_id IS NOT NULL;
CREATE UNIQUE INDEX channels_one_per_username ON channels (user_id, username)
    WHERE username IS NOT NULL;
CREATE UNIQUE INDEX channels_one_self ON channels (user_id)
    WHERE channel_id IS NULL AND username IS NULL;
-- A user's list, read by user and row id; the dropped unique constraint's index served it,
-- and the partial indexes above cannot.
CREATE INDEX channels_by_user ON channels (user_id, id);

ALTER TABLE journal ALTER COLUMN channel_id DROP NOT NULL;
ALTER TABLE journal ADD COLUMN username TEXT;
ALTER TABLE journal ADD CONSTRAINT journal_one_recipient
    CHECK (channel_id IS NULL OR username IS NULL);

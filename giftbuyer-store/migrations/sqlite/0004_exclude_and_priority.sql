-- Exclude lists of channels, the planner's priority per user, and the catalog's birthday flag
-- (starGift.birthday, a kind exclude lists select on). Rows written before this migration read
-- as empty exclude lists, today's order and gifts that are not birthday gifts, so nothing
-- changes for them.
-- Gift ids are stored as comma-separated decimal numbers and kinds as comma-separated codes
-- (`birthday`, `premium_only`): a list is always read and written whole with its channel.
ALTER TABLE channels ADD COLUMN exclude_gift_ids TEXT NOT NULL DEFAULT '';
ALTER TABLE channels ADD COLUMN exclude_kinds TEXT NOT NULL DEFAULT '';
ALTER TABLE user_settings ADD COLUMN priority TEXT NOT NULL DEFAULT 'scarcest_first';
ALTER TABLE gifts ADD COLUMN birthday INTEGER NOT NULL DEFAULT 0 CHECK (birthday IN (0, 1));

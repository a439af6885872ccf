-- A recipient may be a Telegram user by username (lower case, without the @): the username
-- column holds it, and the channel column is NULL then. Both NULL still means the buying (or
-- bidding) account itself; both set is a corrupt row, refused when read.
ALTER TABLE resale_watches ADD COLUMN username TEXT;
ALTER TABLE resale_journal ADD COLUMN username TEXT;
ALTER TABLE auction_plans ADD COLUMN username TEXT;
ALTER TABLE bid_journal ADD COLUMN username TEXT;

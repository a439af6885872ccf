-- A gift sold by auction (starGift.auction): it takes bids and is never bought as a purchase,
-- so the known catalog keeps that, and a manual purchase read from the store refuses it too.
-- auction_slug is set (possibly empty) exactly when the gift is sold by auction.
ALTER TABLE gifts ADD COLUMN auction_slug TEXT;
ALTER TABLE gifts ADD COLUMN auction_gifts_per_round INTEGER;
ALTER TABLE gifts ADD COLUMN auction_start_date INTEGER;

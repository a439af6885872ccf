-- Spending per day reads a user's bought journal entries by the time of their last change.
CREATE INDEX journal_bought_by_user ON journal (user_id, updated_at) WHERE status = 'bought';

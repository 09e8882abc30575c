-- The archive finds flights by the hour they ended (flights are archived
-- in the hour partition of their last message).
CREATE INDEX flights_last_seen ON flights (last_seen_ms);

-- Downsampling: per-minute receiver statistics older than the raw-message
-- retention are rolled up into one row per hour (span_minutes = 60, at the
-- hour's first minute).
ALTER TABLE receiver_minutes ADD COLUMN span_minutes INTEGER NOT NULL DEFAULT 1;

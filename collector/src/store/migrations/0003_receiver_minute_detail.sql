-- More per-receiver, per-minute statistics: rejected frames, distinct
-- aircraft, the furthest range heard, and the signal level distribution
-- in 6 dBFS bands (sig_0: below -30, sig_1: -30..-24, sig_2: -24..-18,
-- sig_3: -18..-12, sig_4: -12..-6, sig_5: -6 and above).
ALTER TABLE receiver_minutes ADD COLUMN rejected INTEGER NOT NULL DEFAULT 0;
ALTER TABLE receiver_minutes ADD COLUMN aircraft INTEGER NOT NULL DEFAULT 0;
ALTER TABLE receiver_minutes ADD COLUMN max_range_m REAL;
ALTER TABLE receiver_minutes ADD COLUMN sig_0 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE receiver_minutes ADD COLUMN sig_1 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE receiver_minutes ADD COLUMN sig_2 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE receiver_minutes ADD COLUMN sig_3 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE receiver_minutes ADD COLUMN sig_4 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE receiver_minutes ADD COLUMN sig_5 INTEGER NOT NULL DEFAULT 0;

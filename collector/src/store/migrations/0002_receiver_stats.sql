-- Per-receiver counts per minute: the "messages/s over time" chart and
-- the rates the receivers list shows.
CREATE TABLE receiver_minutes (
    receiver  TEXT    NOT NULL,
    minute    INTEGER NOT NULL, -- Unix time / 60
    frames    INTEGER NOT NULL,
    accepted  INTEGER NOT NULL,
    positions INTEGER NOT NULL,
    PRIMARY KEY (receiver, minute)
) WITHOUT ROWID;
CREATE INDEX receiver_minutes_minute ON receiver_minutes (minute);

-- Coverage: the furthest aircraft each receiver heard, per bearing sector
-- (sector = floor(bearing / 10 degrees)), for a polar plot.
CREATE TABLE receiver_coverage (
    receiver    TEXT    NOT NULL,
    sector      INTEGER NOT NULL,
    max_range_m REAL    NOT NULL,
    time_ms     INTEGER NOT NULL,
    PRIMARY KEY (receiver, sector)
) WITHOUT ROWID;

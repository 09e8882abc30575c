-- The Parquet archive's ledger: one row per file written for an hour of a
-- table. A part covers the rows of that hour with rowid in
-- (after_rowid, upto_rowid]; it is recorded before its upload and marked
-- done after, so a crash redoes the same part under the same key.
CREATE TABLE archive_parts (
    tbl         TEXT    NOT NULL,
    hour        INTEGER NOT NULL, -- Unix time / 3600
    after_rowid INTEGER NOT NULL,
    upto_rowid  INTEGER NOT NULL,
    rows        INTEGER NOT NULL,
    key         TEXT    NOT NULL,
    done        INTEGER NOT NULL DEFAULT 0,
    bytes       INTEGER,
    PRIMARY KEY (tbl, hour, after_rowid)
) WITHOUT ROWID;

-- Per archived table (positions, receptions) and hour of its rows' time:
-- the largest rowid and the row count, kept by the writer in the same
-- transaction as the inserts, so the archive finds hours with new rows
-- without scanning. Rowids only grow (retention never deletes a table's
-- newest row), so rows of an hour past a part's upto_rowid are new.
CREATE TABLE archive_hours (
    tbl       TEXT    NOT NULL,
    hour      INTEGER NOT NULL, -- Unix time / 3600
    max_rowid INTEGER NOT NULL,
    rows      INTEGER NOT NULL,
    PRIMARY KEY (tbl, hour)
) WITHOUT ROWID;
INSERT INTO archive_hours (tbl, hour, max_rowid, rows)
    SELECT 'positions', time_ms / 3600000, max(rowid), count(*) FROM positions GROUP BY time_ms / 3600000;
INSERT INTO archive_hours (tbl, hour, max_rowid, rows)
    SELECT 'receptions', rx_ms / 3600000, max(rowid), count(*) FROM receptions GROUP BY rx_ms / 3600000;

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

-- Per hour of positions (by their time): the largest rowid and the row
-- count, kept by the writer, so the archive finds hours with new rows
-- without scanning positions. Rowids only grow (retention never deletes
-- the newest row), so rows of an hour past a part's upto_rowid are new.
CREATE TABLE position_hours (
    hour      INTEGER PRIMARY KEY, -- Unix time / 3600
    max_rowid INTEGER NOT NULL,
    rows      INTEGER NOT NULL
);
INSERT INTO position_hours (hour, max_rowid, rows)
    SELECT time_ms / 3600000, max(rowid), count(*) FROM positions GROUP BY time_ms / 3600000;

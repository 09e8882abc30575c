-- The smallest rowid of each hour's rows, kept by the writer beside
-- max_rowid. An hour's first part starts there rather than at the
-- table's first row, so reading one hour by rowid range no longer walks
-- every earlier hour SQLite still keeps. NULL for hours tallied before:
-- their first part starts at the table's first row, as it did.
ALTER TABLE archive_hours ADD COLUMN min_rowid INTEGER;

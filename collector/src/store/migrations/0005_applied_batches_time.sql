-- Retention finds expired applied-batch records by time. Without this
-- index it scanned the whole table (millions of rows after a week of a
-- busy fleet) on the writer thread every ten seconds.
CREATE INDEX applied_batches_time ON applied_batches (applied_ms);

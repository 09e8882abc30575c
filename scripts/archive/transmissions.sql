-- Transmissions in the archive, each counted once across shards.
--
-- Within one collector (shard), identical frames heard within its
-- de-duplication window (dedup_window_ms, 1 s by default) are already one
-- message. Receivers of two shards hearing one transmission make one
-- message in each; here a message is dropped when a shard earlier in name
-- order has a message with the same bytes within the same window.
--
-- DuckDB; $receptions is the receptions dataset, e.g.
--   s3://<bucket>/<archive_prefix>/receptions/*/*/*.parquet
WITH messages AS (
    SELECT DISTINCT shard, message_id, raw, time_ms
    FROM read_parquet($receptions, hive_partitioning = true)
)
SELECT
    (SELECT count(*) FROM messages) AS messages,
    count(*) AS transmissions
FROM messages a
WHERE NOT EXISTS (
    SELECT 1 FROM messages b
    WHERE b.raw = a.raw AND b.shard < a.shard AND abs(b.time_ms - a.time_ms) <= 1000
);

//! A connection to the Redis stream that buffers batches: one stream,
//! one consumer group; the commands the feeder and the consumer use.

use redis::aio::ConnectionManager;
use redis::streams::{
    StreamAutoClaimOptions, StreamAutoClaimReply, StreamMaxlen, StreamReadOptions, StreamReadReply,
};
use redis::{AsyncCommands, RedisResult, Value};

use crate::buffer::Entry;

/// Consumer group name.
pub const GROUP: &str = "cloudradar";

/// A connection to the stream.
#[derive(Clone)]
pub struct Stream {
    conn: ConnectionManager,
    stream: String,
    consumer: String,
    maxlen: usize,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("stream", &self.stream)
            .finish()
    }
}

impl Stream {
    /// Connects and makes sure the stream and group exist.
    pub async fn connect(
        url: &str,
        stream: &str,
        consumer: &str,
        maxlen: usize,
    ) -> RedisResult<Self> {
        let client = redis::Client::open(url)?;
        // Blocking reads wait up to their BLOCK time; answers may take that
        // long without the connection being at fault.
        // A lost connection is tried again twice, within a second, before
        // the command fails: the loops retry with their own backoff, and
        // meanwhile `/readyz` must say Redis is gone (the manager's default,
        // six tries with doubling delays, took 18-38 s to fail a command).
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_response_timeout(Some(std::time::Duration::from_secs(5)))
            .set_connection_timeout(Some(std::time::Duration::from_secs(2)))
            .set_number_of_retries(2)
            .set_max_delay(std::time::Duration::from_millis(500));
        let conn = ConnectionManager::new_with_config(client, config).await?;
        let mut this = Self {
            conn,
            stream: stream.to_string(),
            consumer: consumer.to_string(),
            maxlen,
        };
        this.ensure_group().await?;
        Ok(this)
    }

    /// Creates the consumer group (and stream) unless it exists; needed
    /// again after a Redis restart without persistence.
    pub async fn ensure_group(&mut self) -> RedisResult<()> {
        let r: RedisResult<()> = self
            .conn
            .xgroup_create_mkstream(&self.stream, GROUP, "0")
            .await;
        match r {
            Err(e) if e.to_string().contains("BUSYGROUP") => Ok(()),
            other => other,
        }
    }

    /// The server's `run_id` (new at every Redis start).
    pub async fn run_id(&mut self) -> RedisResult<String> {
        let info: String = redis::cmd("INFO")
            .arg("server")
            .query_async(&mut self.conn)
            .await?;
        Ok(info
            .lines()
            .find_map(|l| l.strip_prefix("run_id:"))
            .unwrap_or_default()
            .trim()
            .to_string())
    }

    /// Appends a batch.
    pub async fn push(&mut self, receiver: &str, seq: u64, payload: &[u8]) -> RedisResult<()> {
        let _: String = self
            .conn
            .xadd_maxlen(
                &self.stream,
                StreamMaxlen::Approx(self.maxlen),
                "*",
                &[
                    ("r", receiver.as_bytes()),
                    ("s", seq.to_string().as_bytes()),
                    ("p", payload),
                ],
            )
            .await?;
        Ok(())
    }

    /// Reads up to `count` entries (their receipt is the stream id): this consumer's pending ones when
    /// `pending` is set, else new ones (blocking up to `block_ms`, not at
    /// all when it is 0).
    pub async fn read(
        &mut self,
        count: usize,
        block_ms: usize,
        pending: bool,
    ) -> RedisResult<Vec<Entry<String>>> {
        let opts = StreamReadOptions::default()
            .group(GROUP, &self.consumer)
            .count(count);
        // BLOCK 0 would wait for ever: 0 means do not wait.
        let opts = if pending || block_ms == 0 {
            opts
        } else {
            opts.block(block_ms)
        };
        let id = if pending { "0" } else { ">" };
        let reply: Option<StreamReadReply> = self
            .conn
            .xread_options(&[&self.stream], &[id], &opts)
            .await?;
        let mut entries = Vec::new();
        let mut unreadable = Vec::new();
        for e in reply.into_iter().flat_map(|r| r.keys).flat_map(|k| k.ids) {
            match e.map.get("p") {
                Some(Value::BulkString(b)) => entries.push(Entry {
                    payload: b.clone(),
                    receipt: e.id,
                }),
                _ => unreadable.push(e.id),
            }
        }
        if !unreadable.is_empty() {
            // A pending entry whose data is gone (deleted or trimmed), or one
            // another writer added: it can never be processed, and left
            // pending it would stand in front of the real ones at every start.
            tracing::warn!(entries = ?unreadable, "stream entries without a batch: acknowledged and deleted");
            metrics::counter!("cloudradar_collector_batches_rejected_total", "reason" => "buffer_entry")
                .increment(unreadable.len() as u64);
            self.ack(&unreadable).await?;
        }
        Ok(entries)
    }

    /// Takes over entries another consumer left pending for `min_idle_ms`.
    pub async fn claim_stale(&mut self, min_idle_ms: usize) -> RedisResult<usize> {
        let reply: StreamAutoClaimReply = self
            .conn
            .xautoclaim_options(
                &self.stream,
                GROUP,
                &self.consumer,
                min_idle_ms,
                "0-0",
                StreamAutoClaimOptions::default().count(1000),
            )
            .await?;
        Ok(reply.claimed.len())
    }

    /// Acknowledges committed entries and deletes them, so the stream
    /// holds only what is not yet stored: its length is the backlog, and
    /// MAXLEN trimming never has processed entries to hide behind.
    pub async fn ack(&mut self, ids: &[String]) -> RedisResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        // In one transaction: an entry acknowledged but left in the stream
        // would count as backlog until trimmed.
        let _: (i64, i64) = redis::pipe()
            .atomic()
            .xack(&self.stream, GROUP, ids)
            .xdel(&self.stream, ids)
            .query_async(&mut self.conn)
            .await?;
        Ok(())
    }

    /// Stream length.
    pub async fn len(&mut self) -> RedisResult<usize> {
        self.conn.xlen(&self.stream).await
    }

    /// Entries not yet delivered to the group (`lag` of `XINFO GROUPS`,
    /// Redis 7+); `None` when the server does not report it.
    pub async fn lag(&mut self) -> RedisResult<Option<u64>> {
        let v: Value = redis::cmd("XINFO")
            .arg("GROUPS")
            .arg(&self.stream)
            .query_async(&mut self.conn)
            .await?;
        let Value::Array(groups) = v else {
            return Ok(None);
        };
        for g in groups {
            let pairs: Vec<(Value, Value)> = match g {
                Value::Array(flat) => flat
                    .chunks_exact(2)
                    .filter_map(|kv| match kv {
                        [k, v] => Some((k.clone(), v.clone())),
                        _ => None,
                    })
                    .collect(),
                Value::Map(m) => m,
                _ => continue,
            };
            let field = |name: &str| {
                pairs.iter().find_map(|(k, v)| match k {
                    Value::BulkString(b) if b == name.as_bytes() => Some(v.clone()),
                    Value::SimpleString(s) if s == name => Some(v.clone()),
                    _ => None,
                })
            };
            let is_ours =
                matches!(field("name"), Some(Value::BulkString(b)) if b == GROUP.as_bytes());
            if is_ours {
                return Ok(match field("lag") {
                    Some(Value::Int(n)) => u64::try_from(n).ok(),
                    _ => None,
                });
            }
        }
        Ok(None)
    }

    /// The stream's approximate bound.
    pub fn max_len(&self) -> usize {
        self.maxlen
    }

    /// Entries delivered but not yet acknowledged.
    pub async fn pending(&mut self) -> RedisResult<usize> {
        let v: Value = redis::cmd("XPENDING")
            .arg(&self.stream)
            .arg(GROUP)
            .query_async(&mut self.conn)
            .await?;
        match v {
            Value::Array(items) => match items.first() {
                Some(Value::Int(n)) => Ok(*n as usize),
                _ => Ok(0),
            },
            _ => Ok(0),
        }
    }
}

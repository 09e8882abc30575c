-- wrk script: paces each connection so that all of them together send
-- about WRK_RATE requests/s (wrk has no fixed-rate mode; wrk2 is not in
-- Debian). Each connection waits WRK_CONNS / WRK_RATE seconds after each
-- response, so the achieved rate falls below the target when responses are
-- slow: the summary prints the achieved rate next to the latencies.
-- Latencies are per request (send to last byte), without coordinated-
-- omission correction.
local rate = tonumber(os.getenv("WRK_RATE") or "500")
local conns = tonumber(os.getenv("WRK_CONNS") or "10")

function delay()
   return 1000 * conns / rate
end

function done(summary, latency, requests)
   local secs = summary.duration / 1e6
   local errors = summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout
   io.write(string.format(
      'WRK_JSON {"requests":%d,"seconds":%.2f,"rate":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"p999_ms":%.3f,"max_ms":%.3f,"mean_ms":%.3f,"bytes":%d,"errors":%d}\n',
      summary.requests, secs, summary.requests / secs,
      latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
      latency.max / 1000, latency.mean / 1000, summary.bytes, errors))
end

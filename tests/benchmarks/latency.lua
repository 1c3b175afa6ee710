-- wrk reports this line for the benchmark script to read: requests/s and latency percentiles in microseconds.
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format('BENCH {"requests": %d, "errors": %d, "rps": %.1f, "p50_us": %d, "p99_us": %d, "non2xx": %d}\n',
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.requests / seconds, latency:percentile(50), latency:percentile(99), summary.errors.status))
end

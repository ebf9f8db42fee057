-- wrk script for plain GETs: report requests, errors and latency percentiles as one parsable line.
function done(summary, latency, requests)
  io.write(string.format("WRKJSON {\"requests\": %d, \"duration_s\": %.3f, \"socket_errors\": %d, " ..
    "\"status_errors\": %d, \"p50_ms\": %.2f, \"p99_ms\": %.2f}\n",
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end

-- wrk script: POST valid survey submissions as a current browser sends them from the survey page (Sec-Fetch-Site:
-- same-origin), with its render token (fetched once by bench_submit) and a fresh idempotency key per request; a
-- session cookie and CSRF token too when the page handed them out (versions of the app before the session-free
-- citizen path), none otherwise.
-- args: path cookie csrf rt staff answers prefix quota
-- With quota > 0 each thread sends exactly that many POSTs, then harmless GETs, and stops once every POST
-- has been answered, so the rows stored can be compared exactly with the submissions counted.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  path, cookie, csrf, rt, staff, answers, prefix = args[1], args[2], args[3], args[4], args[5], args[6], args[7]
  quota = tonumber(args[8]) or 0
  issued, ok, bad = 0, 0, 0
  headers = { ["Content-Type"] = "application/x-www-form-urlencoded", ["Sec-Fetch-Site"] = "same-origin" }
  if cookie ~= "" then headers["Cookie"] = cookie end
  base = "rt=" .. rt .. "&lang=id&staff=" .. staff .. answers
  if csrf ~= "" then base = "csrf_token=" .. csrf .. "&" .. base end
end

function request()
  if quota > 0 and issued >= quota then
    return wrk.format("GET", path)
  end
  issued = issued + 1
  local key = string.format("%s%02dT%010d", prefix, id, issued)
  return wrk.format("POST", path, headers, base .. "&idem=" .. key)
end

function response(status, hdrs, body)
  if status == 303 then ok = ok + 1
  elseif status >= 400 then bad = bad + 1 end
  if quota > 0 and ok + bad >= quota then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local ok_total, bad_total = 0, 0
  for _, thread in ipairs(threads) do
    ok_total = ok_total + thread:get("ok")
    bad_total = bad_total + thread:get("bad")
  end
  io.write(string.format("WRKJSON {\"requests\": %d, \"duration_s\": %.3f, \"ok_303\": %d, \"bad_4xx_5xx\": %d, " ..
    "\"socket_errors\": %d, \"status_errors\": %d, \"p50_ms\": %.2f, \"p99_ms\": %.2f}\n",
    summary.requests, summary.duration / 1e6, ok_total, bad_total,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end

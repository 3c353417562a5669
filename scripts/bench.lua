-- The wrk side of scripts/bench: one script for every endpoint, chosen by BENCH_MODE.
--
--   health  GET /healthz (no key)
--   get     GET /api/v1/posts/:id, cycling through every id in BENCH_IDS in a shuffled order
--   list    GET /api/v1/posts (page 1)
--   create  POST /api/v1/posts
--
-- BENCH_KEY holds the API key. done() prints one machine-readable RESULT line.

local mode = os.getenv("BENCH_MODE") or "health"
local key = os.getenv("BENCH_KEY")

if mode ~= "health" then
  wrk.headers["Authorization"] = "Bearer " .. key
end

if mode == "health" then
  wrk.path = "/healthz"
elseif mode == "list" then
  wrk.path = "/api/v1/posts"
elseif mode == "create" then
  wrk.method = "POST"
  wrk.path = "/api/v1/posts"
  wrk.headers["Content-Type"] = "application/json"
  wrk.body = '{"content":"What a benchmark taught me about latency: measure first, '
    .. 'change one thing at a time, and keep the numbers. #engineering"}'
elseif mode ~= "get" then
  error("unknown BENCH_MODE " .. mode)
end

local requests = nil
local next_request = 1

function init(args)
  if mode ~= "get" then
    return
  end
  -- Pre-build every request (the wrk manual's advice), so the load generator stays cheap.
  requests = {}
  for id in io.lines(os.getenv("BENCH_IDS")) do
    requests[#requests + 1] = wrk.format("GET", "/api/v1/posts/" .. id)
  end
  if #requests == 0 then
    error("no post ids in " .. os.getenv("BENCH_IDS"))
  end
  math.randomseed(os.time())
  for i = #requests, 2, -1 do
    local j = math.random(i)
    requests[i], requests[j] = requests[j], requests[i]
  end
end

if mode == "get" then
  function request()
    local r = requests[next_request]
    next_request = next_request % #requests + 1
    return r
  end
end

-- Every response's status is checked, not only the >399 ones wrk counts by itself.
not_2xx = 0

function response(status, headers, body)
  if status < 200 or status > 299 then
    not_2xx = not_2xx + 1
  end
end

function done(summary, latency, requests_stats)
  -- Each thread counted in its own Lua state; collect the counts from all of them.
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("not_2xx") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d not_2xx=%d "
      .. "connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, bad, e.connect, e.read, e.write, e.timeout))
end

threads = {}

function setup(thread)
  table.insert(threads, thread)
end

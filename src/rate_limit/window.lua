-- One rate-limit decision, atomically (Redis runs a script alone): the same rules as the
-- in-process limiter (src/rate_limit/in_process.rs), on Redis' own clock.
--
-- KEYS[1]: the key's log, a sorted set of accepted requests scored by their time (Unix ms).
-- ARGV[1], ARGV[2]: the limits per rolling minute and per rolling hour.
-- ARGV[3]: a time to use instead of Redis' clock (tests comparing the two limiters), or ''.
-- Returns {allowed (1 or 0), limit, remaining, reset_at (Unix s), retry_after (s)}.

local log = KEYS[1]
local per_minute = tonumber(ARGV[1])
local per_hour = tonumber(ARGV[2])
local MINUTE, HOUR = 60000, 3600000

local now
if ARGV[3] ~= '' then
  now = tonumber(ARGV[3])
else
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end

-- Whole numbers as Redis reads them (tostring would switch to exponent notation).
local function int(n)
  return string.format('%d', n)
end

local function ceil_seconds(ms)
  return math.floor((ms + 999) / 1000)
end

-- When the oldest request within `span` leaves it, freeing room (now, for an empty window).
local function frees_at(span)
  local first = redis.call('ZRANGEBYSCORE', log, '(' .. int(now - span), '+inf',
    'WITHSCORES', 'LIMIT', 0, 1)
  if first[2] then
    return tonumber(first[2]) + span
  end
  return now
end

redis.call('ZREMRANGEBYSCORE', log, '-inf', int(now - HOUR))
local in_hour = redis.call('ZCARD', log)
local in_minute = redis.call('ZCOUNT', log, '(' .. int(now - MINUTE), '+inf')

local minute_full = in_minute >= per_minute
local hour_full = in_hour >= per_hour
if minute_full or hour_full then
  -- Nothing is recorded: a refused request uses up neither window.
  local free = now
  if minute_full then free = math.max(free, frees_at(MINUTE)) end
  if hour_full then free = math.max(free, frees_at(HOUR)) end
  local limit, span = per_minute, MINUTE
  if hour_full then limit, span = per_hour, HOUR end
  return {0, limit, 0, ceil_seconds(frees_at(span)), math.max(ceil_seconds(free - now), 1)}
end

-- A member unique to this request: requests are only ever removed a whole millisecond at a
-- time, so the n already logged at `now` are named now:0 .. now:n-1.
local same = redis.call('ZCOUNT', log, int(now), int(now))
redis.call('ZADD', log, int(now), int(now) .. ':' .. int(same))
-- Once the newest request is an hour old, the whole log is.
redis.call('PEXPIRE', log, HOUR)

local minute_left = per_minute - (in_minute + 1)
local hour_left = per_hour - (in_hour + 1)
if hour_left < minute_left then
  return {1, per_hour, hour_left, ceil_seconds(frees_at(HOUR)), 0}
end
return {1, per_minute, minute_left, ceil_seconds(frees_at(MINUTE)), 0}

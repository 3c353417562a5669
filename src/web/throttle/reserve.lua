-- Lets a sign-in attempt through and counts it as under way, or answers how long to wait: the
-- rules of the in-process counts (memory.rs), for every instance at once, on Redis' clock.
--
-- KEYS: the account's counts (a hash: count, last_at) and its attempts under way (a sorted
-- set: attempt id scored by when it began), then the same two for the client address.
-- ARGV: the attempt's id, the free failures of the account and of the address, the first
-- delay, the longest delay, how long counts are remembered, and how long an attempt may stay
-- under way before it counts as a failure (its server stopped before ending it), all in ms;
-- then a time to use instead of Redis' clock (tests comparing with memory.rs), or ''.
-- Returns {1, now} when let through (now: the attempt's time), {0, seconds to wait} if not.

local id = ARGV[1]
local free = {tonumber(ARGV[2]), tonumber(ARGV[3])}
local FIRST, MAX, FORGET, ABANDONED =
  tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])

local now
if ARGV[8] ~= '' then
  now = tonumber(ARGV[8])
else
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end

local function int(n)
  return string.format('%d', n)
end

local function number(value)
  return tonumber(value or '0')
end

-- A failure at `at`, as ending an attempt records it.
local function fail(counts, at)
  redis.call('HINCRBY', counts, 'count', 1)
  if at > number(redis.call('HGET', counts, 'last_at')) then
    redis.call('HSET', counts, 'last_at', int(at))
  end
  redis.call('PEXPIRE', counts, FORGET)
end

local till = 0
for i = 0, 1 do
  local counts, pending = KEYS[2 * i + 1], KEYS[2 * i + 2]
  local abandoned = redis.call('ZRANGEBYSCORE', pending, '-inf', int(now - ABANDONED),
    'WITHSCORES')
  for j = 1, #abandoned, 2 do
    redis.call('ZREM', pending, abandoned[j])
    fail(counts, tonumber(abandoned[j + 1]))
  end
  local count = number(redis.call('HGET', counts, 'count'))
  local last_at = number(redis.call('HGET', counts, 'last_at'))
  if now - last_at >= FORGET then count = 0 end
  local under_way = redis.call('ZCARD', pending)
  -- Attempts under way count as failures made now.
  if under_way > 0 then last_at = now end
  local total = count + under_way
  if total >= free[i + 1] then
    local delay = math.min(FIRST * 2 ^ math.min(total - free[i + 1], 20), MAX)
    if last_at + delay > till then till = last_at + delay end
  end
end
if till > now then
  return {0, math.floor((till - now + 999) / 1000)}
end

for i = 0, 1 do
  local counts, pending = KEYS[2 * i + 1], KEYS[2 * i + 2]
  if redis.call('ZCARD', pending) == 0
      and now - number(redis.call('HGET', counts, 'last_at')) >= FORGET then
    redis.call('DEL', counts)
  end
  redis.call('ZADD', pending, int(now), id)
  redis.call('PEXPIRE', pending, FORGET)
end
return {1, now}

-- Ends a sign-in attempt that reserve.lua let through, as memory.rs does.
--
-- KEYS: as for reserve.lua (account counts and attempts under way, then the address's).
-- ARGV: the attempt's id, how it ended ('failed', 'succeeded' or 'not_checked'), when it
-- began (ms), how long counts are remembered (ms).

local id, outcome, at, FORGET = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])

for i = 0, 1 do
  local counts, pending = KEYS[2 * i + 1], KEYS[2 * i + 2]
  -- Gone when it was counted as abandoned meanwhile: that already made it a failure.
  if redis.call('ZREM', pending, id) == 1 then
    if outcome == 'failed' then
      redis.call('HINCRBY', counts, 'count', 1)
      if at > tonumber(redis.call('HGET', counts, 'last_at') or '0') then
        redis.call('HSET', counts, 'last_at', string.format('%d', at))
      end
      redis.call('PEXPIRE', counts, FORGET)
    elseif outcome == 'succeeded' and i == 0 then
      -- The account starts over; the address only gets its reservation back.
      redis.call('HSET', counts, 'count', 0)
      redis.call('PEXPIRE', counts, FORGET)
    end
    if tonumber(redis.call('HGET', counts, 'count') or '0') == 0
        and redis.call('ZCARD', pending) == 0 then
      redis.call('DEL', counts)
    end
  end
end
return 1

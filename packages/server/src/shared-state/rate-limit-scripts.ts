/**
 * The Lua scripts behind the Redis rate limits. Each runs atomically in Redis, so
 * replicas admitting requests at the same moment can never both take the last slot; time
 * comes from the Redis server, so replicas with skewed clocks still agree on the window.
 *
 * Keys per identity (one hash tag, so a cluster keeps them in one slot): a sorted set of
 * request ids by time, a sorted set of reservation ids by time, a hash of reservation id
 * -> tokens, and the running token total.
 */

/** Milliseconds of the Redis server's clock. */
const NOW = `local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)`;

/** Drops what left the window; at most 1000 expired reservations a call (Lua's unpack bound). */
const PRUNE = `local start = now - window
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', start)
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', start, 'LIMIT', 0, 1000)
if #expired > 0 then
  local amounts = redis.call('HMGET', KEYS[3], unpack(expired))
  local sum = 0
  for _, amount in ipairs(amounts) do if amount then sum = sum + tonumber(amount) end end
  redis.call('DECRBY', KEYS[4], sum)
  redis.call('HDEL', KEYS[3], unpack(expired))
  redis.call('ZREM', KEYS[2], unpack(expired))
end`;

/** ARGV: window ms, requests limit (-1: none), tokens limit (-1: none), tokens to reserve, id. */
export const RESERVE_SCRIPT = `${NOW}
local window = tonumber(ARGV[1])
${PRUNE}
local requests = redis.call('ZCARD', KEYS[1])
local used = tonumber(redis.call('GET', KEYS[4]) or '0')
local requestLimit = tonumber(ARGV[2])
local tokenLimit = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local exceeded = ''
if requestLimit >= 0 and requests >= requestLimit then exceeded = 'requests'
elseif tokenLimit >= 0 and used + cost > tokenLimit then exceeded = 'tokens' end
if exceeded == '' then
  redis.call('ZADD', KEYS[1], now, ARGV[5])
  redis.call('ZADD', KEYS[2], now, ARGV[5])
  redis.call('HSET', KEYS[3], ARGV[5], cost)
  used = redis.call('INCRBY', KEYS[4], cost)
  requests = requests + 1
  for index = 1, 4 do redis.call('PEXPIRE', KEYS[index], window) end
end
local resetRequests = 0
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if oldest[2] then resetRequests = tonumber(oldest[2]) + window - now end
local resetTokens = 0
oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if oldest[2] then resetTokens = tonumber(oldest[2]) + window - now end
return { exceeded, requests, used, resetRequests, resetTokens }`;

/** ARGV: window ms, id, tokens really used. */
export const SETTLE_SCRIPT = `${NOW}
local window = tonumber(ARGV[1])
local tokens = tonumber(ARGV[3])
local reserved = redis.call('HGET', KEYS[3], ARGV[2])
if reserved then
  redis.call('HSET', KEYS[3], ARGV[2], tokens)
  redis.call('INCRBY', KEYS[4], tokens - tonumber(reserved))
elseif tokens > 0 then
  redis.call('ZADD', KEYS[2], now, ARGV[2])
  redis.call('HSET', KEYS[3], ARGV[2], tokens)
  redis.call('INCRBY', KEYS[4], tokens)
  for index = 2, 4 do redis.call('PEXPIRE', KEYS[index], window) end
end
return 1`;

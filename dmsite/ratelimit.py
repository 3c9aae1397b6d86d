"""Sliding-window rate limits kept in the Django cache.

A window remembers the time of each counted event (or each distinct member,
such as a recipient) over the last `rate.seconds`. With Redis as the cache the
check and the record happen in one Lua script on a sorted set, so the limit
holds across every process sharing that Redis; with the local-memory cache
(one process, `make run`) a lock gives the same atomicity.

Callers check before acting and record only what succeeded: `acquire` checks
and records atomically and returns a token that `release` takes back if the
action then fails, so a denied or failed action counts nothing.
"""

import hashlib
import threading
import time
import uuid
from dataclasses import dataclass

from django.core.cache import cache, caches

from dmsite.env import Rate
from dmsite.errors import RateLimited

_ACQUIRE_SCRIPT = """
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local member = ARGV[4]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local known = redis.call('ZSCORE', key, member)
local count = redis.call('ZCARD', key)
if not known and count >= limit then
  local freeing = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
  return tostring(tonumber(freeing[2]) + window - now)
end
redis.call('ZADD', key, now, member)
redis.call('EXPIRE', key, math.ceil(window) + 1)
return '0'
"""


def _redis_client():
    """The raw Redis client behind the default cache, or None when it is not Redis."""
    try:
        from django_redis import get_redis_connection
        from django_redis.cache import RedisCache
    except ImportError:  # pragma: no cover - django-redis is a dependency
        return None
    # `cache` is a proxy: ask the configured backend itself.
    if not isinstance(caches["default"], RedisCache):
        return None
    return get_redis_connection("default")


_local_lock = threading.Lock()


@dataclass(frozen=True)
class WindowState:
    """What a window holds now: its members and how long a new member would wait."""

    members: frozenset[str]
    retry_after_new: float

    def retry_after(self, member: str | None = None) -> float:
        return 0.0 if member in self.members else self.retry_after_new


@dataclass(frozen=True)
class SlidingWindow:
    """At most `rate.count` events (or distinct members) per `rate.seconds`, per key."""

    scope: str
    rate: Rate

    def _key(self, key: str) -> str:
        """The cache key (Django adds its prefix). Hashed: keys carry user input."""
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return f"ratelimit:{self.scope}:{digest}"

    def _redis_key(self, key: str) -> str:
        """The same key as the raw Redis client must name it, with the cache's prefix."""
        return cache.make_and_validate_key(self._key(key))

    def state(self, key: str) -> WindowState:
        """A read-only look at the window (one cache round trip)."""
        now = time.time()
        client = _redis_client()
        if client is not None:
            pairs = client.zrangebyscore(
                self._redis_key(key), f"({now - self.rate.seconds!r}", "+inf", withscores=True
            )
            events = {member.decode(): at for member, at in pairs}
        else:
            events = self._local_events(self._key(key), now)
        return WindowState(frozenset(events), self._wait_for_new(events, now))

    def retry_after(self, key: str, member: str | None = None) -> float:
        """Seconds until one more event (or `member`) would be admitted; 0 if it would be now."""
        return self.state(key).retry_after(member)

    def check(self, key: str, member: str | None = None) -> None:
        wait = self.retry_after(key, member)
        if wait > 0:
            raise RateLimited(wait)

    def acquire(self, key: str, member: str | None = None) -> str:
        """Check and record one event atomically; raise RateLimited when over the limit.

        `member` names a distinct thing (a recipient): recording one that is already
        in the window refreshes it and does not count again. Returns the token for
        `release`.
        """
        token = member or uuid.uuid4().hex
        now = time.time()
        client = _redis_client()
        if client is not None:
            wait = float(
                client.eval(
                    _ACQUIRE_SCRIPT,
                    1,
                    self._redis_key(key),
                    repr(now),
                    self.rate.seconds,
                    self.rate.count,
                    token,
                )
            )
        else:
            wait = self._acquire_local(self._key(key), token, now)
        if wait > 0:
            raise RateLimited(wait)
        return token

    def release(self, key: str, token: str) -> None:
        """Take back an event recorded by `acquire` whose action did not happen."""
        client = _redis_client()
        if client is not None:
            client.zrem(self._redis_key(key), token)
            return
        with _local_lock:
            events = cache.get(self._key(key), {})
            events.pop(token, None)
            cache.set(self._key(key), events, self.rate.seconds + 1)

    def reset(self, key: str) -> None:
        client = _redis_client()
        if client is not None:
            client.delete(self._redis_key(key))
        else:
            cache.delete(self._key(key))

    def _wait_for_new(self, events: dict[str, float], now: float) -> float:
        if len(events) < self.rate.count:
            return 0.0
        times = sorted(events.values())
        return times[len(times) - self.rate.count] + self.rate.seconds - now

    def _local_events(self, cache_key: str, now: float) -> dict[str, float]:
        return {
            name: at
            for name, at in cache.get(cache_key, {}).items()
            if at > now - self.rate.seconds
        }

    def _acquire_local(self, cache_key: str, member: str, now: float) -> float:
        with _local_lock:
            events = self._local_events(cache_key, now)
            if member not in events:
                wait = self._wait_for_new(events, now)
                if wait > 0:
                    return wait
            events[member] = now
            cache.set(cache_key, events, self.rate.seconds + 1)
            return 0.0

"""Sliding-window rate limits, in Redis or in this process.

A window remembers the time of each counted event (or each distinct member,
such as a recipient) over the last `rate.seconds`. With Redis as the cache the
check and the record happen in one Lua script on a sorted set, so the limit
holds across every process sharing that Redis; without Redis (one process,
`make run`) the windows live in this process's memory and a lock gives the same
atomicity.

Callers check before acting and record only what succeeded: `acquire` checks
and records atomically and returns a token that `release` takes back if the
action then fails, so a denied or failed action counts nothing.
"""

import hashlib
import threading
import time
import uuid
from collections import deque
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


# Several windows at once: KEYS are the windows, ARGV `now` then (window, limit, member)
# for each. Either every window admits its member and all are recorded, or none is and
# the longest wait is returned. Returns {wait, known_1, known_2, ...}: known_i is 1 when
# member i was already in its window (a refresh, not a new member).
_ACQUIRE_ALL_SCRIPT = """
local now, wait, known = tonumber(ARGV[1]), 0, {}
for i, key in ipairs(KEYS) do
  local window, limit, member = tonumber(ARGV[3*i-1]), tonumber(ARGV[3*i]), ARGV[3*i+1]
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  known[i] = redis.call('ZSCORE', key, member) and 1 or 0
  local count = redis.call('ZCARD', key)
  if known[i] == 0 and count >= limit then
    local freeing = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
    wait = math.max(wait, tonumber(freeing[2]) + window - now)
  end
end
if wait > 0 then return {tostring(wait)} end
local result = {'0'}
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[3*i+1])
  redis.call('EXPIRE', key, math.ceil(tonumber(ARGV[3*i-1])) + 1)
  result[i+1] = known[i]
end
return result
"""


def _redis_client():
    """The raw Redis client behind the default cache, or None when it is not Redis.

    Kept on the cache backend it came from (asked for on every send, the lookup was
    a third of the limits' cost); a change of CACHES makes new backends, so a new one.
    """
    backend = caches["default"]  # `cache` is a proxy: ask the configured backend itself
    try:
        return backend._dmsite_raw_client
    except AttributeError:
        pass
    from django_redis import get_redis_connection
    from django_redis.cache import RedisCache

    client = get_redis_connection("default") if isinstance(backend, RedisCache) else None
    backend._dmsite_raw_client = client
    return client


_scripts = {}


def run_script(client, script: str, keys: list, args: list):
    """`script` on Redis by its SHA (EVALSHA, loaded once when Redis does not know it):
    its text is not sent, and hashed by Redis, on every call."""
    runner = _scripts.get(script)
    if runner is None:
        runner = _scripts.setdefault(script, client.register_script(script))
    return runner(keys=keys, args=args, client=client)


_local_lock = threading.Lock()
_SWEEP_SECONDS = 60


class _LocalWindow:
    """One window in this process: each member's latest time, and the times in order.

    A member recorded again leaves its older entry in `order`, which forgetting skips.
    So recording and forgetting cost O(1) whatever the window holds (kept as one value
    in the local-memory cache, every event re-read and re-wrote the whole window: 7 %
    of a socket message's CPU under the benchmark's raised limits).
    """

    __slots__ = ("at", "order", "seconds")

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at: dict[str, float] = {}
        self.order: deque[tuple[float, str]] = deque()

    def forget_until(self, cutoff: float) -> None:
        while self.order and self.order[0][0] <= cutoff:
            at, member = self.order.popleft()
            if self.at.get(member) == at:
                del self.at[member]

    def record(self, member: str, now: float) -> None:
        self.at[member] = now
        self.order.append((now, member))


class _LocalWindows:
    """Every window of this process, by key; those left empty are dropped once a minute."""

    def __init__(self):
        self.windows: dict[str, _LocalWindow] = {}
        self.swept_at = time.monotonic()

    def current(self, key: str, seconds: float, now: float) -> _LocalWindow:
        """The window at `key`, holding only its events of the last `seconds`."""
        self._sweep(now)
        window = self.windows.get(key)
        if window is None:
            window = self.windows[key] = _LocalWindow(seconds)
        window.forget_until(now - seconds)
        return window

    def drop(self, key: str) -> None:
        self.windows.pop(key, None)

    def clear(self) -> None:
        self.windows.clear()

    def _sweep(self, now: float) -> None:
        if time.monotonic() - self.swept_at < _SWEEP_SECONDS:
            return
        self.swept_at = time.monotonic()
        for key, window in list(self.windows.items()):
            window.forget_until(now - window.seconds)
            if not window.at:
                del self.windows[key]


_local_windows = _LocalWindows()


def local_windows_clear() -> None:
    """Forget every window of this process (each test starts from none)."""
    with _local_lock:
        _local_windows.clear()


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
            with _local_lock:
                events = dict(self._local_window(self._key(key), now).at)
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
                run_script(
                    client,
                    _ACQUIRE_SCRIPT,
                    [self._redis_key(key)],
                    [repr(now), self.rate.seconds, self.rate.count, token],
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
            self._local_window(self._key(key), time.time()).at.pop(token, None)

    def reset(self, key: str) -> None:
        client = _redis_client()
        if client is not None:
            client.delete(self._redis_key(key))
        else:
            with _local_lock:
                _local_windows.drop(self._key(key))

    def _wait_for_new(self, events: dict[str, float], now: float) -> float:
        if len(events) < self.rate.count:
            return 0.0
        times = sorted(events.values())
        return times[len(times) - self.rate.count] + self.rate.seconds - now

    def _local_window(self, key: str, now: float) -> _LocalWindow:
        """This process's window at `key` (the caller holds `_local_lock`)."""
        return _local_windows.current(key, self.rate.seconds, now)

    def _acquire_local(self, key: str, member: str, now: float) -> float:
        with _local_lock:
            window = self._local_window(key, now)
            if member not in window.at:
                wait = self._wait_for_new(window.at, now)
                if wait > 0:
                    return wait
            window.record(member, now)
            return 0.0


@dataclass(frozen=True)
class Claim:
    """One event to record in a window: `member` names a distinct thing, None a new event."""

    window: SlidingWindow
    key: str
    member: str | None = None


@dataclass(frozen=True)
class Acquired:
    """What `acquire_together` recorded, so that `release` can take exactly that back."""

    claims: tuple[Claim, ...]
    tokens: tuple[str, ...]
    known: tuple[bool, ...]  # the member was already in its window: a release leaves it

    def release(self) -> None:
        """Take back the events of an action that did not happen (one round trip)."""
        taken = [
            (claim, token)
            for claim, token, known in zip(self.claims, self.tokens, self.known, strict=True)
            if not known
        ]
        client = _redis_client()
        if client is not None:
            pipe = client.pipeline(transaction=False)
            for claim, token in taken:
                pipe.zrem(claim.window._redis_key(claim.key), token)
            pipe.execute()
            return
        for claim, token in taken:
            claim.window.release(claim.key, token)


def acquire_together(*claims: Claim) -> Acquired:
    """Check and record every claim atomically, in one round trip to the cache.

    Either all windows admit their event and all are recorded, or RateLimited is
    raised with the longest wait and nothing is recorded.
    """
    tokens = tuple(claim.member or uuid.uuid4().hex for claim in claims)
    now = time.time()
    client = _redis_client()
    if client is not None:
        args = [repr(now)]
        for claim, token in zip(claims, tokens, strict=True):
            args += [claim.window.rate.seconds, claim.window.rate.count, token]
        keys = [claim.window._redis_key(claim.key) for claim in claims]
        result = run_script(client, _ACQUIRE_ALL_SCRIPT, keys, args)
        wait = float(result[0])
        known = tuple(bool(int(flag)) for flag in result[1:])
    else:
        wait, known = _acquire_all_local(claims, tokens, now)
    if wait > 0:
        raise RateLimited(wait)
    return Acquired(claims, tokens, known)


def _acquire_all_local(claims, tokens, now) -> tuple[float, tuple[bool, ...]]:
    with _local_lock:
        windows = [
            claim.window._local_window(claim.window._key(claim.key), now) for claim in claims
        ]
        known = tuple(token in window.at for token, window in zip(tokens, windows, strict=True))
        wait = max(
            (
                claim.window._wait_for_new(window.at, now)
                for claim, window, seen in zip(claims, windows, known, strict=True)
                if not seen
            ),
            default=0.0,
        )
        if wait > 0:
            return wait, ()
        for token, window in zip(tokens, windows, strict=True):
            window.record(token, now)
        return 0.0, known

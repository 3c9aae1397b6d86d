"""Which sockets each user has open, across processes, to cap them (finding 7).

Every socket registers its channel name under its user when it connects and leaves
when it disconnects. Past `WS_MAX_SOCKETS_PER_USER`, the oldest ones are told to
close (`socket.evict` to their channel). With Redis this is one sorted set per user
(one script, atomic across processes); without Redis, one process's memory.

A process killed mid-flight leaves its entries behind: they are the oldest, so the
next connection past the cap evicts them (a message to a dead channel is dropped),
and the key expires a day after the user's last connection.
"""

import threading
import time

from django.conf import settings

from dmsite.ratelimit import _redis_client, run_script

_REGISTER_SCRIPT = """
local key, now, member, cap = KEYS[1], tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
redis.call('ZADD', key, now, member)
redis.call('EXPIRE', key, 86400)
local count = redis.call('ZCARD', key)
if count <= cap then return {} end
local evicted = redis.call('ZRANGE', key, 0, count - cap - 1)
redis.call('ZREM', key, unpack(evicted))
return evicted
"""

_local: dict[int, dict[str, float]] = {}
_local_lock = threading.Lock()


def _key(user_id: int) -> str:
    from django.core.cache import cache

    return cache.make_and_validate_key(f"sockets:{user_id}")


def socket_register(*, user_id: int, channel_name: str) -> list[str]:
    """Record a new socket; return the channels of the oldest ones past the cap."""
    cap = settings.WS_MAX_SOCKETS_PER_USER
    now = time.time()
    client = _redis_client()
    if client is not None:
        arguments = [repr(now), channel_name, cap]
        evicted = run_script(client, _REGISTER_SCRIPT, [_key(user_id)], arguments)
        return [name.decode() if isinstance(name, bytes) else name for name in evicted]
    with _local_lock:
        sockets = _local.setdefault(user_id, {})
        sockets[channel_name] = now
        oldest_first = sorted(sockets, key=sockets.get)
        evicted = oldest_first[: max(0, len(oldest_first) - cap)]
        for name in evicted:
            del sockets[name]
        return evicted


def socket_unregister(*, user_id: int, channel_name: str) -> None:
    client = _redis_client()
    if client is not None:
        client.zrem(_key(user_id), channel_name)
        return
    with _local_lock:
        sockets = _local.get(user_id, {})
        sockets.pop(channel_name, None)
        if not sockets:
            _local.pop(user_id, None)

"""dmsite.ratelimit.SlidingWindow on the configured cache: local memory, or Redis with REDIS_URL."""

import datetime

import pytest

from dmsite.env import Rate
from dmsite.errors import RateLimited
from dmsite.ratelimit import Claim, SlidingWindow, acquire_together

T0 = datetime.datetime(2030, 1, 1, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


def three_a_minute(scope: str = "test") -> SlidingWindow:
    return SlidingWindow(scope, Rate(3, 60))


def test_admits_up_to_the_limit_and_refuses_one_past_it(frozen):
    window = three_a_minute()
    for _ in range(3):
        assert window.retry_after("k") == 0
        window.acquire("k")
    with pytest.raises(RateLimited) as refused:
        window.acquire("k")
    assert refused.value.retry_after == 60
    assert refused.value.code == "rate_limited"
    assert refused.value.status_code == 429


def test_a_refused_event_counts_nothing(frozen):
    window = three_a_minute()
    for _ in range(3):
        window.acquire("k")
    for _ in range(5):
        with pytest.raises(RateLimited):
            window.acquire("k")
    # Had the refusals counted, the window would still be full a minute after the first three.
    frozen.shift(60)
    for _ in range(3):
        window.acquire("k")


def test_retry_after_is_the_time_until_the_oldest_counted_event_leaves(frozen):
    window = three_a_minute()
    window.acquire("k")  # t=0
    frozen.shift(10)
    window.acquire("k")  # t=10
    frozen.shift(10)
    window.acquire("k")  # t=20
    frozen.shift(10)  # t=30
    assert window.retry_after("k") == pytest.approx(30)
    with pytest.raises(RateLimited) as refused:
        window.check("k")
    assert refused.value.retry_after == 30
    frozen.shift(29)  # t=59: the event of t=0 is still in the window
    assert window.retry_after("k") == pytest.approx(1)
    frozen.shift(1)  # t=60: it has left
    assert window.retry_after("k") == 0
    window.acquire("k")
    # Now full again with t=10, 20, 60; the next frees up when t=10 leaves, at t=70.
    assert window.retry_after("k") == pytest.approx(10)


def test_retry_after_rounds_up_to_a_whole_second(frozen):
    window = three_a_minute()
    for _ in range(3):
        window.acquire("k")
    frozen.shift(0.5)
    assert window.retry_after("k") == pytest.approx(59.5)
    with pytest.raises(RateLimited) as refused:
        window.acquire("k")
    assert refused.value.retry_after == 60


def test_check_does_not_record(frozen):
    window = three_a_minute()
    for _ in range(10):
        window.check("k")
    for _ in range(3):
        window.acquire("k")
    with pytest.raises(RateLimited):
        window.check("k")


def test_the_window_slides(frozen):
    window = three_a_minute()
    for _ in range(3):
        window.acquire("k")
    frozen.shift(59.999)
    with pytest.raises(RateLimited):
        window.acquire("k")
    frozen.shift(0.001)
    for _ in range(3):
        window.acquire("k")
    with pytest.raises(RateLimited):
        window.acquire("k")


def test_keys_and_scopes_are_independent(frozen):
    window = three_a_minute()
    for _ in range(3):
        window.acquire("k")
    with pytest.raises(RateLimited):
        window.acquire("k")
    window.acquire("other-key")
    three_a_minute("other-scope").acquire("k")


def test_distinct_members_count_once(frozen):
    window = three_a_minute()
    for _ in range(5):
        window.acquire("k", member="bob")
    window.acquire("k", member="carol")
    window.acquire("k", member="dave")
    with pytest.raises(RateLimited) as refused:
        window.acquire("k", member="erin")
    assert refused.value.retry_after == 60
    # A member already in the window is admitted again: it does not count twice.
    assert window.retry_after("k", "bob") == 0
    window.acquire("k", member="bob")
    window.check("k", member="carol")


def test_recording_a_member_again_refreshes_it(frozen):
    window = three_a_minute()
    window.acquire("k", member="bob")  # t=0
    frozen.shift(30)
    window.acquire("k", member="carol")  # t=30
    window.acquire("k", member="bob")  # t=30, bob refreshed
    window.acquire("k", member="dave")  # t=30
    frozen.shift(31)  # t=61: bob's first time would have left; his refreshed one has not
    with pytest.raises(RateLimited) as refused:
        window.acquire("k", member="erin")
    assert refused.value.retry_after == 29


def test_release_takes_an_event_back(frozen):
    window = three_a_minute()
    window.acquire("k")
    window.acquire("k")
    token = window.acquire("k")
    with pytest.raises(RateLimited):
        window.check("k")
    window.release("k", token)
    assert window.retry_after("k") == 0
    window.acquire("k")
    with pytest.raises(RateLimited):
        window.acquire("k")


def test_release_of_a_member_and_of_an_unknown_token(frozen):
    window = three_a_minute()
    for member in ("bob", "carol", "dave"):
        window.acquire("k", member=member)
    window.release("k", "nobody")  # nothing to take back: no effect, no error
    with pytest.raises(RateLimited):
        window.acquire("k", member="erin")
    window.release("k", "carol")
    window.acquire("k", member="erin")
    window.release("never-used", "x")


def test_reset_forgets_every_event(frozen):
    window = three_a_minute()
    for _ in range(3):
        window.acquire("k")
    window.reset("k")
    for _ in range(3):
        window.acquire("k")


def test_a_limit_of_one(frozen):
    window = SlidingWindow("gap", Rate(1, 60))
    window.acquire("k")
    frozen.shift(59)
    with pytest.raises(RateLimited) as refused:
        window.acquire("k")
    assert refused.value.retry_after == 1
    frozen.shift(1)
    window.acquire("k")


def test_works_in_real_time_without_travel():
    window = three_a_minute()
    for _ in range(3):
        window.acquire("real")
    with pytest.raises(RateLimited) as refused:
        window.acquire("real")
    assert 1 <= refused.value.retry_after <= 60


def test_acquire_together_records_every_window_or_none(frozen):
    messages, recipients = three_a_minute("messages"), SlidingWindow("recipients", Rate(2, 600))
    acquire_together(Claim(messages, "k"), Claim(recipients, "k", "bob"))
    acquire_together(Claim(messages, "k"), Claim(recipients, "k", "carol"))
    assert recipients.state("k").members == {"bob", "carol"}
    # The recipients window is full for a third person: nothing is recorded in either.
    with pytest.raises(RateLimited) as refused:
        acquire_together(Claim(messages, "k"), Claim(recipients, "k", "dave"))
    assert refused.value.retry_after == 600
    assert len(messages.state("k").members) == 2
    assert recipients.state("k").members == {"bob", "carol"}
    # A known member passes the full window; then the messages window is full too.
    acquire_together(Claim(messages, "k"), Claim(recipients, "k", "bob"))
    with pytest.raises(RateLimited) as refused:
        acquire_together(Claim(messages, "k"), Claim(recipients, "k", "bob"))
    assert refused.value.retry_after == 60  # the longer wait of the windows that refuse
    with pytest.raises(RateLimited) as refused:
        acquire_together(Claim(messages, "k"), Claim(recipients, "k", "dave"))
    assert refused.value.retry_after == 600


def test_acquire_together_release_takes_back_only_what_it_added(frozen):
    messages, recipients = three_a_minute("messages"), three_a_minute("recipients")
    acquire_together(Claim(messages, "k"), Claim(recipients, "k", "bob"))
    frozen.shift(5)
    refresh = acquire_together(Claim(messages, "k"), Claim(recipients, "k", "bob"))
    new = acquire_together(Claim(messages, "k"), Claim(recipients, "k", "carol"))
    assert refresh.known == (False, True)
    assert new.known == (False, False)
    new.release()
    refresh.release()
    # Both message events are gone; bob, who was there before, stays.
    assert len(messages.state("k").members) == 1
    assert recipients.state("k").members == {"bob"}


def test_acquire_together_is_one_round_trip_to_redis(frozen, redis_commands):
    acquire_together(Claim(three_a_minute("a"), "warm-up"))  # Redis learns the script once
    redis_commands.clear()
    acquire_together(Claim(three_a_minute("a"), "k"), Claim(three_a_minute("b"), "k", "bob"))
    assert redis_commands == ["EVALSHA"]  # the script by its SHA, not its text

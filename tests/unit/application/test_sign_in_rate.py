import pytest

from talk_backend.application.sign_in_rate import SignInRateLimit, address_key


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_each_address_gets_its_per_minute_budget_then_a_wait(clock):
    limit = SignInRateLimit(per_address_per_minute=3, total_per_minute=100, clock=clock)
    assert [limit.take("192.0.2.1") for _ in range(3)] == [None, None, None]
    assert limit.take("192.0.2.1") == 20  # one token every 20 s
    assert limit.take("192.0.2.2") is None  # another address is not affected
    clock.now += 20
    assert limit.take("192.0.2.1") is None
    assert limit.take("192.0.2.1") == 20


def test_the_total_caps_all_addresses_together(clock):
    limit = SignInRateLimit(per_address_per_minute=10, total_per_minute=2, clock=clock)
    assert limit.take("192.0.2.1") is None
    assert limit.take("192.0.2.2") is None
    assert limit.take("192.0.2.3") == 30
    clock.now += 30
    assert limit.take("192.0.2.3") is None


def test_a_refused_start_uses_up_nothing(clock):
    limit = SignInRateLimit(per_address_per_minute=1, total_per_minute=2, clock=clock)
    assert limit.take("192.0.2.1") is None
    for _ in range(50):
        assert limit.take("192.0.2.1") is not None
    assert limit.take("192.0.2.2") is None  # the refusals did not spend the total


def test_an_ipv6_client_is_one_address_per_64(clock):
    limit = SignInRateLimit(per_address_per_minute=1, total_per_minute=100, clock=clock)
    assert limit.take("2001:db8:1:2::1") is None
    assert limit.take("2001:db8:1:2:ffff::9") is not None
    assert limit.take("2001:db8:1:3::1") is None
    assert address_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert address_key("192.0.2.1") == "192.0.2.1"


def test_a_flood_from_many_addresses_tracks_a_bounded_number(clock):
    limit = SignInRateLimit(per_address_per_minute=5, total_per_minute=50, clock=clock)
    for n in range(20_000):
        limit.take(f"10.{n // 65536}.{n // 256 % 256}.{n % 256}")
        clock.now += 0.01
    assert limit.tracked() <= 2 * 50


def test_the_wait_counts_what_has_refilled(clock):
    limit = SignInRateLimit(per_address_per_minute=3, total_per_minute=100, clock=clock)
    for _ in range(3):
        assert limit.take("192.0.2.1") is None
    clock.now += 10  # half a token back, at one every 20 s
    assert limit.take("192.0.2.1") == 10


def test_the_wait_is_never_below_one_second(clock):
    limit = SignInRateLimit(per_address_per_minute=120, total_per_minute=1000, clock=clock)
    for _ in range(120):
        assert limit.take("192.0.2.1") is None
    assert limit.take("192.0.2.1") == 1  # a token every half second: Retry-After is whole

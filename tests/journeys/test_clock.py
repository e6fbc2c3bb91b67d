from datetime import UTC, datetime

import pytest

from journeys import clock


def test_a_frozen_clock_answers_the_frozen_moment_and_restores_the_real_one_after():
    at = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    before = clock.now()
    with clock.frozen(at):
        assert clock.now() == at
    assert clock.now() >= before


def test_freezing_the_clock_at_a_naive_datetime_is_refused():
    with pytest.raises(ValueError), clock.frozen(datetime(2026, 1, 5)):
        pass

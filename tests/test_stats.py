"""The one statistics helper: percentiles as numpy's default and statistics.quantiles'
inclusive method define them (Hyndman and Fan, definition 7)."""

import random
import statistics

import pytest

from loopedu.stats import Summary, percentile


def test_percentiles_match_the_standard_library():
    rng = random.Random(7)
    for n in (2, 3, 10, 101, 1000):
        data = [rng.uniform(1, 100) for _ in range(n)]
        deciles = statistics.quantiles(data, n=10, method="inclusive")
        cents = statistics.quantiles(data, n=100, method="inclusive")
        assert percentile(data, 0.5) == pytest.approx(statistics.median(data))
        assert percentile(data, 0.9) == pytest.approx(deciles[-1])
        assert percentile(data, 0.99) == pytest.approx(cents[-1])


def test_hand_computed_values():
    # positions (n-1)q: 0.5 -> 1.5 between 20 and 30; 0.9 -> 2.7 between 30 and 40
    assert percentile([40, 10, 30, 20], 0.5) == 25.0
    assert percentile([40, 10, 30, 20], 0.9) == pytest.approx(37.0)
    assert percentile([5], 0.99) == 5.0


def test_summary_and_bad_input():
    s = Summary.of([3.0, 1.0, 2.0, 10.0])
    assert (s.count, s.minimum, s.median, s.maximum) == (4, 1.0, 2.5, 10.0)
    assert s.median <= s.p90 <= s.p99 <= s.maximum
    with pytest.raises(ValueError, match="no values"):
        percentile([], 0.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        percentile([1], 90)


def test_the_summary_of_0_to_100():
    # 101 values 0..100: the q-quantile sits exactly on the value 100 q
    s = Summary.of(range(100, -1, -1))
    assert (s.count, s.minimum, s.median, s.p90, s.p99, s.maximum) == \
        (101, 0.0, 50.0, 90.0, 99.0, 100.0)
    assert percentile(range(101), 0.95) == 95.0 and percentile(range(101), 0.25) == 25.0


def test_the_ends_of_the_range_are_the_extremes_and_beyond_them_is_refused():
    # q = 0 and q = 1 are valid quantiles (the minimum and the maximum); just above 1 is not
    assert percentile([40, 10, 30, 20], 0) == 10.0
    assert percentile([40, 10, 30, 20], 1) == 40.0
    for q in (-0.01, 1.01, 1.5, 2):
        with pytest.raises(ValueError, match="between 0 and 1"):
            percentile([1, 2], q)

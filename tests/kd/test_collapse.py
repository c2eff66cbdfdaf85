"""The shared collapse rule, on hand-worked rates."""

import pytest

from kd.collapse import DEFAULT_COLLAPSE_MIN_FRACTION, is_collapsed_rate


@pytest.mark.parametrize(
    ("rate", "min_fraction", "expected"),
    [
        (0.0, 0.0, True),  # every example one label
        (1.0, 0.0, True),
        (0.01, 0.0, False),  # exactly-one-label rule: 1 % is not collapsed
        (0.02, 0.02, True),  # 2 % in the rarer class: at the line, collapsed
        (0.98, 0.02, True),  # the rarer class is the negative one
        (0.03, 0.02, False),
        (0.46, 0.02, False),  # Devign's vulnerable share
    ],
)
def test_rarer_label_share(rate: float, min_fraction: float, expected: bool) -> None:
    assert is_collapsed_rate(rate, min_fraction) is expected


def test_default_is_two_percent() -> None:
    assert DEFAULT_COLLAPSE_MIN_FRACTION == 0.02
    assert is_collapsed_rate(0.015) and not is_collapsed_rate(0.1)

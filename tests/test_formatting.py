"""Numbers as slides show them (``viz.formatting.format_number``), at every precision."""

from __future__ import annotations

import math

import pytest

from microgradx.viz.formatting import format_number


@pytest.mark.parametrize(
    ("x", "precision", "shown"),
    [
        (44.0, 4, "44"), (0.88079, 4, "0.8808"), (-1.5, 4, "-1.5"), (2e-5, 4, "2e-05"),
        (10.4, 0, "10"), (100.3, 0, "100"), (19.9, 0, "20"), (10.5, 2, "10.5"),
        (-0.4, 0, "-0.4"), (0.25, 0, "0.2"), (math.nan, 0, "nan"), (-math.inf, 2, "-inf"),
    ],
)  # fmt: skip
def test_numbers_keep_their_whole_part_at_every_precision(x, precision, shown):
    assert format_number(x, precision) == shown


def test_no_number_is_shown_as_an_empty_string_or_a_lone_sign():
    for precision in range(0, 6):
        for x in (0.25, -0.4, 0.0012, 1e-9, -3e-7, 999999.5, 10.0, 100.5):
            text = format_number(x, precision)
            assert text not in ("", "-", "0", "-0") and float(text) == pytest.approx(
                x, rel=0.5 if abs(x) < 1 else 0.06
            ), (x, precision, text)

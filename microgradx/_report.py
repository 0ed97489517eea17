"""What the checking reports share: rows found by position or name, and aligned tables.

``gradcheck``, ``check_backprop`` and ``compare_with_torch`` each return a report of
rows; this module is the one place that makes such a report truthy, iterable and
indexable by name, and that lays its rows out as a text table.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

__all__ = ["RowsReport", "text_table"]


class RowsReport:
    """A mixin for reports with ``rows`` (each with ``.name`` and ``.ok``).

    Truthy when ``ok``; ``len``, iteration and ``report[i]`` or ``report["x"]`` reach
    the rows. Subclasses may redefine ``ok`` (by default every row's ``ok``).
    """

    rows: Sequence[Any]

    @property
    def ok(self) -> bool:
        """True when every row is ok."""
        return all(row.ok for row in self.rows)

    def __bool__(self) -> bool:
        return self.ok

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.rows)

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, str):
            for row in self.rows:
                if row.name == key:
                    return row
            raise KeyError(f"no row named {key!r}; names: {[row.name for row in self.rows]}")
        return self.rows[key]


def text_table(lines: Sequence[Sequence[str]], numbers_right: bool = False) -> list[str]:
    """Cells padded into columns two spaces apart; ``numbers_right`` right-aligns
    every column but the first."""
    widths = [max(len(line[c]) for line in lines) for c in range(len(lines[0]))]
    return [
        "  ".join(
            cell.rjust(w) if numbers_right and c else cell.ljust(w)
            for c, (cell, w) in enumerate(zip(line, widths))
        ).rstrip()
        for line in lines
    ]

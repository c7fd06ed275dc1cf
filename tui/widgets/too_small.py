"""What a terminal too small for the panels shows instead of them."""

from __future__ import annotations

from textual.geometry import Size
from textual.widgets import Static

MIN_WIDTH, MIN_HEIGHT = 64, 20


class TooSmall(Static):
    def fits(self, size: Size) -> bool:
        """Whether the panels fit; if not, say the size needed."""
        if size.width >= MIN_WIDTH and size.height >= MIN_HEIGHT:
            return True
        self.update(
            f"This terminal is {size.width}x{size.height}.\n"
            f"makemore-tui needs at least {MIN_WIDTH}x{MIN_HEIGHT}; 80x24 or more is best.\n"
            "Make the window larger, or press q to quit."
        )
        return False

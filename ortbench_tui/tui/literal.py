"""Text from a user, a file or ORT, shown as it is: never read as markup.

Textual and Rich parse strings as markup, so a profile named `fast[/]` crashes a widget
and `[ONNXRuntimeError]` vanishes from a message. Escaping is not enough (the two markups
treat brackets and backslashes differently), so such text is wrapped in an object that is
never parsed: `literal` for Textual widgets (Static, Label, Option, border titles),
`literal_cells` for DataTable rows (Rich renders those).
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.content import Content

from ortbench_tui.text import printable


def literal(text: object, one_line: bool = False) -> Content:
    """`text` as Textual content, exactly as written, control characters shown escaped (an
    escape sequence in a file name must not reach the terminal); `one_line` for list rows,
    where a newline would split the row."""
    return Content(printable(text, one_line))


Cell = str | Text
"""A DataTable cell as the screens make it: a string (shown literally) or styled text."""


def literal_cells(cells: Iterable[Cell]) -> list[Text]:
    """A DataTable row whose strings show exactly as written (styled text passes)."""
    return [
        Text(printable(cell, one_line=True), end="") if isinstance(cell, str) else cell
        for cell in cells
    ]

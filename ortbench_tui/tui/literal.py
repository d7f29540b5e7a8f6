"""Text from a user, a file or ORT, shown as it is: never read as markup.

Textual and Rich parse strings as markup, so a profile named `fast[/]` crashes a widget
and `[ONNXRuntimeError]` vanishes from a message. Escaping is not enough (the two markups
treat brackets and backslashes differently), so such text is wrapped in an object that is
never parsed: `literal` for Textual widgets (Static, Label, Option, border titles),
`literal_cells` for DataTable rows (Rich renders those).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual.content import Content


def literal(text: object) -> Content:
    """`text` as Textual content, exactly as written."""
    return Content(str(text))


def literal_cells(cells: Iterable[Any]) -> list[Any]:
    """A DataTable row whose strings show exactly as written (other renderables pass)."""
    return [Text(cell, end="") if isinstance(cell, str) else cell for cell in cells]

"""Saving a profile over an existing file's text, keeping its comments and layout.

A profile file is the user's document: comments explain why a value is there. tomlkit parses
the old text into a document that remembers comments, order and spacing; only the keys whose
value changed are written (an explicit value stays explicit, even when it equals the default),
and keys the profile no longer has are dropped.
"""

from __future__ import annotations

from typing import Any

import tomlkit
from tomlkit.items import Table
from tomlkit.toml_document import TOMLDocument

from .schema import SECTIONS


def _value_item(value: Any) -> Any:
    """Dicts become inline tables (`{ batch = 1 }`), as a hand-written profile has them."""
    if isinstance(value, dict):
        table = tomlkit.inline_table()
        table.update(value)
        return table
    return value


def edit_profile_text(old_text: str, old: dict[str, Any], new: dict[str, Any]) -> str:
    """`old_text` (whose effective values are `old`) with the values of `new` written in.

    `old` and `new` are profile_document forms (every key filled). A key is written only when
    its value changes, so a two-line profile stays two lines plus the edit.
    """
    doc: TOMLDocument = tomlkit.parse(old_text)
    for key in ("name", "description"):
        if new.get(key) != old.get(key):
            doc[key] = new.get(key, "")
    for section in SECTIONS:
        old_section, new_section = old.get(section, {}), new.get(section, {})
        changed = {k: v for k, v in new_section.items() if old_section.get(k) != v}
        if not changed and section not in doc:
            continue
        if section not in doc:
            doc.add(tomlkit.nl())
            doc[section] = tomlkit.table()
        table = doc[section]
        if not isinstance(table, Table):
            continue
        for key, value in changed.items():
            table[key] = _value_item(value)
        for key in [k for k in table if k not in new_section]:
            del table[key]
    # A saved best profile's [provenance] is written whole when it changes (it is a record,
    # not settings a user tunes line by line).
    if new.get("provenance") != old.get("provenance"):
        if "provenance" in doc:
            del doc["provenance"]
        if new.get("provenance") is not None:
            doc.add(tomlkit.nl())
            doc["provenance"] = new["provenance"]
    return str(tomlkit.dumps(doc))

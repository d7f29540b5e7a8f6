"""The command palette's view of the workbench: the same actions as the keys, only those of
the screen in front (and the app), and only the ones that can run now."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from textual.actions import parse
from textual.app import App
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.command import CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widget import Widget

from .command import Command, key_label
from .keys import COMMANDS


def _binding_ids(node: DOMNode) -> set[str]:
    return {b.id for b in Binding.make_bindings(type(node).BINDINGS) if b.id}


def screen_commands(screen: Screen[Any]) -> list[Command]:
    """The table's commands bound by the app, the screen or a widget on it, in table order
    (the keys of a list work while it has focus; the palette offers them either way)."""
    ids = _binding_ids(screen.app) | _binding_ids(screen)
    for widget in screen.query("*"):
        ids |= _binding_ids(widget)
    return [c for c in COMMANDS if c.id in ids]


class WorkbenchCommands(Provider):
    """Every binding of the calling screen (and the app) as a palette command."""

    def _available(self) -> Iterator[tuple[Command, Callable[[], object]]]:
        screen = self.screen
        seen: set[str] = set()
        for command in screen_commands(screen):
            if command.action in seen:
                continue
            seen.add(command.action)
            namespace, name, params = parse(command.action)
            target: App[object] | Widget = self.app if namespace == "app" else screen
            if target.check_action(name, params) is not True:
                continue
            yield command, partial(target.run_action, command.action.removeprefix(f"{namespace}."))

    @staticmethod
    def _title(command: Command) -> str:
        return f"{command.palette_title} ({key_label(command.key)})"

    async def discover(self) -> Hits:
        for command, callback in self._available():
            yield DiscoveryHit(self._title(command), callback, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command, callback in self._available():
            title = self._title(command)
            score = max(matcher.match(title), matcher.match(command.help) * 0.5)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=command.help)


class WorkbenchPalette(CommandPalette):
    """Textual's palette, closed once. Two Enters typed quickly both reach it before the first
    has closed it: the second dismissed it again, popped the screen beneath and ended the app
    (`ScreenStackError: Can't pop screen`), then ran the command a second time."""

    def dismiss(self, result: None = None) -> AwaitComplete:
        if self not in self.app.screen_stack:  # closed already by the first Enter
            # The caller runs its selected command after this: make that a no-op.
            self._selected_command = DiscoveryHit("", lambda: None)
            done: AwaitComplete = AwaitComplete.nothing()  # type: ignore[no-untyped-call]
            return done
        return super().dismiss(result)

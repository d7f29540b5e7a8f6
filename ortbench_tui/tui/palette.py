"""The command palette's view of the workbench: the same actions as the keys, only the ones
that can run now on the current screen."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .keys import Command, commands, key_label

SCREEN_SCOPES = {
    "main": ("main", "models", "profiles", "app"),
    "editor": ("editor", "app"),
    "history": ("history", "app"),
    "detail": ("detail", "app"),
    "compare": ("detail", "app"),
}


class WorkbenchCommands(Provider):
    """Every binding of the calling screen (and the app) as a palette command."""

    def _available(self) -> Iterator[tuple[Command, Any]]:
        screen = self.screen
        seen: set[str] = set()
        for command in commands(*SCREEN_SCOPES.get(screen.id or "", ("app",))):
            if command.action in seen:
                continue
            seen.add(command.action)
            namespace, _, name = command.action.rpartition(".")
            target: Any = self.app if namespace == "app" else screen
            if target.check_action(name, ()) is not True:
                continue
            yield command, partial(target.run_action, name)

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

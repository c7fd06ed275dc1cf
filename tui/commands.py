"""The command palette's commands, found by their help as well as their names: a learner
looks for "checkpoint" or "attention", words the help holds and the names do not."""

from __future__ import annotations

from textual.command import Hit, Hits
from textual.system_commands import SystemCommandsProvider

# Below any fair match of a name: hits by a command's help come after those by its name.
HELP_HIT_SCORE = 0.05


def words_in(query: str, text: str) -> bool:
    """Whether every word of `query` is in `text`, as part of a word, case aside."""
    text = text.casefold()
    words = query.casefold().split()
    return bool(words) and all(word in text for word in words)


class CommandsByNameAndHelp(SystemCommandsProvider):
    """Textual's system commands (the app's keys among them), matched as Textual matches
    them by name, and also by every word of the query in the name and help together."""

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback, *_ in self.app.get_system_commands(self.screen):
            by_name = matcher.match(name)
            if by_name > 0:
                yield Hit(by_name, matcher.highlight(name), callback, help=help_text)
            elif words_in(query, f"{name} {help_text}"):
                yield Hit(HELP_HIT_SCORE, name, callback, text=name, help=help_text)

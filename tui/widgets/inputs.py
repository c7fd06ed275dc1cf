"""An Input that never loses a key (Textual bug #6605, open): a backspace and a character in
one read from the terminal (ordinary typing over a slow SSH link) reached the Input out of
order. The character was inserted at once, while the backspace went the long way, through
the bindings, and then deleted it: "07", backspace, "1" stayed "07". Here the Input's own
editing keys run their action at once, in the order they came."""

from __future__ import annotations

from textual import events
from textual.widgets import Input


class OrderedInput(Input):
    async def _on_key(self, event: events.Key) -> None:
        bindings = self._bindings.key_to_bindings.get(event.key)
        if bindings:
            event.stop()
            event.prevent_default()
            await self.run_action(bindings[0].action)
            return
        await super()._on_key(event)

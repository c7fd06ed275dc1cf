"""Errors that more than one part of the engine raises or catches."""

from __future__ import annotations


class AskFirst(Exception):
    """Raised in the engine for a command that waits for the user's yes: its Answer carries
    the question, and the app sends the command again, confirmed, if the user agrees."""

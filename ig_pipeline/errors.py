"""Errors every part of the command line shares (here, not in cli.py, so command modules never
import the CLI that imports them)."""


class UserError(RuntimeError):
    """An expected failure with a message meant for the person at the terminal (``error: …``, exit 2)."""

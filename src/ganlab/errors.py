"""User-facing errors: one line saying what is wrong and how to fix it, never a traceback."""

from __future__ import annotations


class GanlabError(Exception):
    """An error caused by the user's input; the CLI prints ``str(err)`` alone and exits non-zero.

    ``problem`` says what is wrong, ``fix`` says what to do about it. Both are kept on one
    line so that scripts and people read the same thing.
    """

    def __init__(self, problem: str, fix: str | None = None) -> None:
        self.problem = " ".join(str(problem).split())
        self.fix = " ".join(str(fix).split()) if fix else None
        super().__init__(self.problem if not self.fix else f"{self.problem} — {self.fix}")

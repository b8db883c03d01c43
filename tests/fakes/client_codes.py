"""A client code generator with a script: collisions are easy to stage."""

from __future__ import annotations

import itertools


class FakeClientCodes:
    """Hands out codes from a script, then from a counter: collisions are easy to stage."""

    def __init__(self, *scripted: str) -> None:
        self.scripted = list(scripted)
        self.counter = itertools.count(1)

    def __call__(self) -> str:
        if self.scripted:
            return self.scripted.pop(0)
        n = next(self.counter)
        alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
        out = ""
        for _ in range(8):
            n, r = divmod(n, len(alphabet))
            out += alphabet[r]
        return out

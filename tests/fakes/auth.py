"""A password hasher without the cost."""

from __future__ import annotations


class FakeHasher:
    def __init__(self) -> None:
        self.verified: list[str] = []  # the hashes checked, dummy ones included

    async def hash(self, password: str) -> str:
        return "plain$" + password

    async def verify(self, password_hash: str, password: str) -> bool:
        self.verified.append(password_hash)
        return password_hash == "plain$" + password

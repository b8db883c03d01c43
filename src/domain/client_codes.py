"""Unique client codes: generation, and finding them in a YClients booking comment."""

from __future__ import annotations

import re
import secrets

# Upper-case Latin letters and digits without look-alikes: no 0/O, 1/I/L.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
COMMENT_MARKER = "Код клиента:"

# Cyrillic letters that look like Latin ones, as operators type them by accident.
_CYRILLIC_TWINS = str.maketrans("АВЕКМНОРСТХ", "ABEKMHOPCTX")

# "Код клиента" anywhere, any case, colon and spaces optional, then 8 code characters.
# The code is matched loosely (any letter/digit, Latin or Cyrillic) and validated after translation.
# Possessive quantifiers (`*+`) never give back what they matched, so a long run of spaces
# is walked once per "код" (linear time): the backtracking `\s*[:]?\s*` was quadratic, and
# a comment is text anyone can type into YClients.
_COMMENT_RE = re.compile(
    r"код\s*+клиента\s*+(?:[:\-–—]\s*+)?([0-9A-Za-zА-Яа-яЁё]{8})(?![0-9A-Za-zА-Яа-яЁё])",
    re.IGNORECASE,
)
# Only the start of a comment is looked at: the form puts the marker line there, and
# nothing an operator types further down is worth unbounded work per record.
MAX_COMMENT_SCAN = 4096


def generate_client_code() -> str:
    """A random code from the unambiguous alphabet."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def is_valid_code(code: str) -> bool:
    """True if `code` has the right length and only alphabet characters."""
    return len(code) == CODE_LENGTH and all(ch in ALPHABET for ch in code)


def comment_line(code: str) -> str:
    """The line the booking form puts into the YClients comment."""
    return f"{COMMENT_MARKER} {code}"


_PARSEABLE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def normalize_code(raw: str) -> str | None:
    """Upper-case, Cyrillic twins read as Latin; None unless 8 Latin letters/digits remain.

    Parsing is wider than generation on purpose: a code typed by hand or issued before the
    look-alike-free alphabet (the seed's own example is `ABC12345`) still reaches the user
    lookup, where a code that belongs to nobody simply falls through to the next rule."""
    code = raw.upper().translate(_CYRILLIC_TWINS)
    # issuperset runs in C: this is called for every record a sync or a drain reads.
    if len(code) == CODE_LENGTH and _PARSEABLE.issuperset(code):
        return code
    return None


def extract_code(comment: str | None) -> str | None:
    """The first valid client code written after the marker in a (multi-line) comment."""
    if not comment:
        return None
    for match in _COMMENT_RE.finditer(comment, 0, MAX_COMMENT_SCAN):
        code = normalize_code(match.group(1))
        if code is not None:
            return code
    return None

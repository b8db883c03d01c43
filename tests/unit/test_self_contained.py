"""A clone of the repository on its own is complete: nothing reads a path outside it."""

from __future__ import annotations

import re

from tests.paths import ROOT

# The parent folder's `shared` (written as a relative path), `parents[N].parent` (one above
# the repository) or an absolute path to the workspace's shared folder: each only works
# beside CI's checkout (our own docs/STYLE.md is in the repository). The pattern is
# spelled so that this file does not match itself.
OUTSIDE = re.compile(
    r"\.\.[/\\]shared|parents\[\d+\]\.parent\b|/work/shared|\bshared/(yclients|seeds)|(?<!docs/)\b(DESIGN|STYLE)\.md"
)
SCANNED = ("src", "tests", "bench", "migrations")


def test_no_code_or_test_reads_outside_the_repository() -> None:
    offenders = []
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            if path == __file__ or path.name == "test_self_contained.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if OUTSIDE.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "reads outside the repository:\n" + "\n".join(offenders)


def test_the_fixtures_the_tests_need_are_in_the_repository() -> None:
    assert (ROOT / "tests/fixtures/yclients/SOURCES.md").is_file()
    assert (ROOT / "tests/fixtures/seeds/000_b2aa356b5bf9af15.txt").is_file()

"""Where the tests' data files live: inside the repository, so a clone on its own passes."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES_DIR = ROOT / "tests" / "fixtures"
# YClients sample payloads; tests/fixtures/yclients/SOURCES.md says where their shapes come from.
YCLIENTS_FIXTURES = FIXTURES_DIR / "yclients"
# The product's seed (the behaviour we must have), for the test that runs its curl examples.
SEED = FIXTURES_DIR / "seeds" / "000_b2aa356b5bf9af15.txt"

"""Hypothesis profiles for the whole suite.

`dev` (the default) keeps `just test-unit` a fast inner loop; `ci` (chosen by `.ci/run`
with `HYPOTHESIS_PROFILE=ci`) runs the property tests at full depth. `HYPOTHESIS_EXAMPLES`
overrides the number of examples of either.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_EXAMPLES = {"dev": 300, "ci": 2000}


def _examples(profile: str) -> int:
    return int(os.environ.get("HYPOTHESIS_EXAMPLES") or _EXAMPLES[profile])


for _name in _EXAMPLES:
    settings.register_profile(
        _name,
        max_examples=_examples(_name),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or "dev")

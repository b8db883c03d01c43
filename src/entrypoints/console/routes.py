"""Every console route handler but the sign-in pair (`login.login_handlers`, built with the
app's login throttle), in one list for the /admin router."""

from __future__ import annotations

from src.entrypoints.console.checkout import capture, checkout
from src.entrypoints.console.login import logout
from src.entrypoints.console.members import adjust, member, members, redeem
from src.entrypoints.console.overview import overview, sync_now, sync_progress
from src.entrypoints.console.salons import SALON_HANDLERS
from src.entrypoints.console.settings_page import settings_page
from src.entrypoints.console.today import TODAY_HANDLERS
from src.entrypoints.console.unmatched import candidates, link, unmatched
from src.entrypoints.console.webhooks import replay, webhooks

HANDLERS = [
    logout, overview, sync_now, sync_progress, unmatched, candidates, link, webhooks, replay,
    members, member, adjust, redeem, capture, checkout, settings_page,
    *SALON_HANDLERS, *TODAY_HANDLERS,
]  # fmt: skip

"""The console's navigation bar, in order: (endpoint path, label key). A new page is one line
here."""

from __future__ import annotations

NAV = [
    ("/admin", "today"),
    ("/admin/checkout", "checkout"),
    ("/admin/unmatched", "unmatched"),
    ("/admin/members", "members"),
    ("/admin/webhooks", "webhooks"),
    ("/admin/salons", "salons"),
    ("/admin/settings", "settings"),
    ("/admin/overview", "overview"),  # the owner's: sync runs, webhook counts, switches
]

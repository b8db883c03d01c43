"""The admin console: server-rendered pages (Jinja2 + HTMX) for salon staff at /admin."""

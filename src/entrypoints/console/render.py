"""What every console page shares: a full page, a fragment, the flash after an action, a
refused form, the one-time run of an action, and the parameter types handlers declare."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from litestar import Request
from litestar.enums import MediaType
from litestar.params import PathParameter, QueryParameter
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Template

from src.application.use_cases.once import fingerprint
from src.entrypoints.console.auth import signed_in_admin
from src.entrypoints.console.errors import field_error
from src.entrypoints.console.htmx import is_htmx
from src.entrypoints.console.nav import NAV
from src.entrypoints.web.dependencies import UseCases
from src.entrypoints.web.params import MAX_ID

PAGE = 20
MAX_OFFSET = 2**31 - 1
Offset = Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET)]
Query = Annotated[str | None, QueryParameter(max_length=100)]
Id = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
FLASH = "flash"
FORM_ERROR = "form_error"  # a refused form: which, the field, what to say, what was typed
HTML = MediaType.HTML  # handlers that answer a page or a redirect (`-> Any`) say so


def page(request: Request[Any, Any, Any], template: str, **context: Any) -> Template:
    """A full page (or, for an HTMX request, the same template: it extends the layout only
    when asked for a full page)."""
    flash = request.session.pop(FLASH, None) if request.session else None
    form_error = request.session.pop(FORM_ERROR, None) if request.session else None
    return Template(
        template,
        context={
            "nav": NAV,
            "path": request.url.path,
            "admin": getattr(request.state, "admin", None),
            "flash": flash,
            "form_error": form_error,
            **context,
        },
    )


def done(request: Request[Any, Any, Any], message: str, to: str, ok: bool = True) -> Any:
    """After an action: remember what happened and show `to` (HTMX follows a client redirect)."""
    request.session[FLASH] = {"ok": ok, "text": message}
    if is_htmx(request):
        return ClientRedirect(to)
    return Redirect(to)


def refused(
    request: Request[Any, Any, Any], to: str, form: str, message: str, typed: dict[str, str]
) -> Any:
    """After a refused form: back to `to`, the reason next to its field in the console's
    language and what was typed still in the fields."""
    field, text = field_error(request.app.state.console_words, message)
    request.session[FORM_ERROR] = {
        "form": form, "field": field or "", "text": text,
        "typed": {name: value[:500] for name, value in typed.items()},
    }  # fmt: skip
    if is_htmx(request):
        return ClientRedirect(to)
    return Redirect(to)


def fragment(template: str, **context: Any) -> Template:
    return Template(template, context=context)


async def once(
    request: Request[Any, Any, Any],
    container: UseCases,
    key: str,
    form: object,
    run: Callable[[], Awaitable[dict[str, Any]]],
) -> dict[str, Any]:
    """Run a console action at most once per admin and one-time key (the form's hidden
    `once` field, new on every page): a double-click, a resubmitted form or a replayed
    request gets the first answer again. `run` answers a JSON-able dict."""

    async def go() -> str:
        return json.dumps(await run())

    action = f"console {request.method} {request.url.path}"
    text = await container.run_once(
        signed_in_admin(request).id, key, action, fingerprint(action, repr(form)), go
    )
    return json.loads(text)  # type: ignore[no-any-return]


def safe_next(target: str) -> str:
    """Only a console path: never an open redirect to another site."""
    if target.startswith("/admin") and not target.startswith("//"):
        return target
    return "/admin"

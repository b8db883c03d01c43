"""A console action refused by a use case (an `AppError`), answered in one place.

An action says up front where staff go back to if it is refused (`refuse_to`); the /admin
router's `AppError` handler (`app_error`) then answers as the action would have by hand: the
reason as a flash over that page, or, for a form that keeps what was typed, next to its
field (`render.refused`). Anything that declared nothing (every page read, a refused sync)
gets the console's error page, as before."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, Response

from src.application.errors import AppError
from src.entrypoints.console.errors import error_page
from src.entrypoints.console.render import done, refused

REFUSAL = "console_refusal"  # the request state's key


@dataclass(frozen=True)
class Refusal:
    """Where a refused action goes: `to`; with `form`, the reason is shown next to the form's
    field and `typed` is put back in the fields."""

    to: str
    form: str | None = None
    typed: dict[str, str] | None = None


def refuse_to(
    request: Request[Any, Any, Any],
    to: str,
    form: str | None = None,
    typed: dict[str, str] | None = None,
) -> None:
    """From here on, an `AppError` of this request answers with a flash over `to` (or the
    reason next to `form`'s field, `typed` kept) instead of an error page."""
    request.state[REFUSAL] = Refusal(to, form, typed)


def app_error(request: Request[Any, Any, Any], exc: AppError) -> Response[Any]:
    """The /admin router's handler for a use case's refusal."""
    refusal: Refusal | None = request.state.get(REFUSAL)
    if refusal is None or request.method in ("GET", "HEAD"):
        return error_page(request, exc)
    if refusal.form is not None:
        return refused(request, refusal.to, refusal.form, str(exc), refusal.typed or {})
    words = request.app.state.console_words
    return done(request, f"{words('could_not')}: {exc}", refusal.to, ok=False)

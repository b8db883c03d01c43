"""A member's loyalty account and ledger."""

from __future__ import annotations

from litestar import Router, get

from src.entrypoints.http.errors import error_responses
from src.entrypoints.http.params import Limit, Offset
from src.entrypoints.http.schemas.common import PageOut, page_of
from src.entrypoints.http.schemas.loyalty import (
    LoyaltyOut,
    TransactionOut,
    loyalty_out,
    transaction_out,
)
from src.entrypoints.web.dependencies import Caller, WalletDep, provide


@get("/", responses=error_responses(401), summary="The caller's balance and level")
async def loyalty_account(me: Caller, wallet: WalletDep) -> LoyaltyOut:
    return loyalty_out(await wallet.loyalty(me.id), await wallet.expiring_soon(me.id))


@get("/transactions", responses=error_responses(401), summary="The caller's ledger")
async def list_transactions(
    me: Caller,
    wallet: WalletDep,
    limit: Limit = 20,
    offset: Offset = 0,
) -> PageOut[TransactionOut]:
    """Ledger entries, newest first: ACCRUAL, REVERSAL and ADJUSTMENT."""
    page = await wallet.transactions(me.id, limit, offset)
    return page_of(page, [transaction_out(e) for e in page.items])


loyalty_router = Router(
    "/api/v1/loyalty",
    route_handlers=[loyalty_account, list_transactions],
    dependencies=provide("wallet"),
    tags=["loyalty"],
)

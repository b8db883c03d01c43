"""OpenAPI details Litestar cannot infer: public routes and the raw-body webhook."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema

WEBHOOK_BODY = Schema(
    type=OpenAPIType.OBJECT,
    required=["company_id", "resource", "resource_id", "status"],
    properties={
        "company_id": Schema(
            type=OpenAPIType.INTEGER, description="A configured company", examples=[873456]
        ),
        "resource": Schema(
            type=OpenAPIType.STRING,
            min_length=1,
            description="`record` is processed; anything else is stored as IGNORED",
            examples=["record"],
        ),
        "resource_id": Schema(
            type=OpenAPIType.INTEGER, minimum=1, maximum=2**63 - 1, examples=[601234501]
        ),
        "status": Schema(
            type=OpenAPIType.STRING, min_length=1, description="create | update | delete"
        ),
        "data": Schema(description="The record as YClients sends it (any shape is stored)"),
    },
)


@dataclass
class PublicOperation(Operation):
    """An operation that needs no token, and says so (`security: []`)."""

    def __post_init__(self) -> None:
        self.security = []


@dataclass
class WebhookOperation(PublicOperation):
    """Documents the JSON body that the webhook route reads as raw bytes."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.request_body = RequestBody(
            required=True,
            description="A YClients webhook: {company_id, resource, resource_id, status, data}",
            content={"application/json": OpenAPIMediaType(schema=WEBHOOK_BODY)},
        )

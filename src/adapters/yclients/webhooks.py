"""Webhook bodies: the envelope YClients POSTs, and the record it may carry (mapped by
`mapping.py`, like every record)."""

from __future__ import annotations

from dataclasses import replace

import msgspec

from src.adapters.yclients.mapping import RecordMappingError, decode_record, split_validation_error
from src.adapters.yclients.schema import WebhookEnvelope, company_decoder, is_null, webhook_decoder
from src.application.errors import MalformedPayload, ValidationFailed
from src.application.ports.yclients import WebhookNotice
from src.domain.booking import BookingStatus
from src.domain.record import YClientsRecord

_DELETE = "delete"


class InvalidWebhook(ValidationFailed):
    """The webhook body is JSON but lacks a required field or has one of the wrong type."""


class MalformedWebhook(MalformedPayload):
    """The webhook body is not JSON, or not a JSON object."""


def parse_webhook(body: bytes) -> WebhookEnvelope:
    """Decode and validate a webhook body's envelope.

    `company_id`, `resource`, `resource_id` and `status` are required (ids as int or numeric
    string); `data` is optional and kept raw. Raises `MalformedWebhook` when the body is not
    a JSON object and `InvalidWebhook` naming the field that is missing or invalid."""
    try:
        return webhook_decoder.decode(body)
    except msgspec.ValidationError as exc:
        field, reason = split_validation_error(exc)
        if field is None:  # the body itself is not an object: `[]`, `"x"`, `42`
            raise MalformedWebhook(f"webhook body must be a JSON object: {reason}") from exc
        raise InvalidWebhook(f"webhook body: `{field}`: {reason}") from exc
    except msgspec.DecodeError as exc:
        raise MalformedWebhook(f"webhook body is not valid JSON: {exc}") from exc
    except RecursionError as exc:  # thousands of nested arrays/objects (anywhere, even `data`)
        raise MalformedWebhook("webhook body is nested too deeply") from exc


def webhook_company_id(body: bytes) -> int | None:
    """The `company_id` of a webhook body, or None when the body does not say (for logging
    a delivery that is rejected before anything else is looked at)."""
    try:
        return company_decoder.decode(body).company_id
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return None  # the full decode says what is wrong with it


def record_from_webhook(envelope: WebhookEnvelope) -> YClientsRecord | None:
    """The record carried in `data`, or None when `data` is absent, partial or not about
    the envelope's record (the caller then re-fetches it, or just cancels on delete).

    The delete payload is undocumented [INFERRED]: the fixture guesses a full record with
    `deleted: true`. Whatever `data` says, a `delete` event yields a deleted record."""
    if envelope.resource != "record" or is_null(envelope.data):
        return None
    try:
        record = decode_record(envelope.data)
    except (RecordMappingError, msgspec.DecodeError):
        return None
    if record.record_id != envelope.resource_id or record.company_id != envelope.company_id:
        return None
    if envelope.status == _DELETE and not record.deleted:
        return _as_deleted(record)
    return record


def _as_deleted(record: YClientsRecord) -> YClientsRecord:
    return replace(record, status=BookingStatus.CANCELLED, deleted=True)


class WebhookBodyDecoder:
    """The application's `WebhookDecoder` port, over `parse_webhook`/`record_from_webhook`."""

    def envelope(self, body: bytes) -> WebhookNotice:
        env = parse_webhook(body)
        return WebhookNotice(env.company_id, env.resource, env.resource_id, env.status)

    def record(self, body: bytes) -> YClientsRecord | None:
        try:
            env = parse_webhook(body)
        except (InvalidWebhook, MalformedWebhook):
            return None
        return record_from_webhook(env)

"""Prometheus metrics of what the service does, fed by the structured log lines.

The use cases already log one line per webhook event, sync run and award (they import no
metrics library); a logging handler turns those lines into counters, so metrics and logs can
never disagree. The API serves them at `/metrics`; a taskiq worker serves its own on
`WORKER_METRICS_PORT` when set.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from prometheus_client import Counter

WEBHOOKS_RECEIVED = Counter(
    "yclients_webhooks_received_total", "Webhook deliveries answered, by outcome", ["outcome"]
)
WEBHOOKS_REJECTED = Counter(
    "webhooks_rejected_total",
    "Webhook deliveries refused before storing (missing or wrong secret), by reason",
    ["reason"],
)
WEBHOOKS_PROCESSED = Counter("yclients_webhooks_processed_total", "Webhook events processed")
WEBHOOKS_FAILED = Counter(
    "yclients_webhook_failures_total", "Failed webhook attempts, by resulting state", ["state"]
)
SYNC_RUNS = Counter("yclients_sync_runs_total", "Sync runs, by final status", ["status"])
SYNC_RECORDS = Counter(
    "yclients_sync_records_total", "Records seen by sync runs, by outcome", ["outcome"]
)
POINTS_AWARDED = Counter("loyalty_points_awarded_total", "Net loyalty points written")
POINTS_SPENT = Counter(
    "loyalty_points_spending_total",
    "Points held, captured, released, redeemed (by staff) and expired",
    ["flow"],
)
LEDGER_ENTRIES = Counter(
    "loyalty_ledger_entries_total", "Ledger entries written, by kind", ["kind"]
)
_SPENDING_EVENTS = {
    "points_held": "held",
    "points_captured": "captured",
    "points_released": "released",
    "points_redeemed": "redeemed",
    "points_expired": "expired",
}
YCLIENTS_ERRORS = Counter(
    "yclients_request_errors_total", "Failed YClients requests, by what followed", ["kind"]
)

SMS_REFUSED = Counter(
    "sms_refused_total",
    "SMS not sent: a number outside SMS_ALLOWED_REGIONS, or the hourly budget spent",
    ["reason"],
)

_SYNC_OUTCOMES = ("fetched", "created", "updated", "unchanged", "linked", "unmatched", "errors")


class MetricsHandler(logging.Handler):
    """Counts the service's log events; never raises into the code that logged."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._count(record.getMessage(), record.__dict__)
        except Exception:  # a metric must never break the work it describes
            self.handleError(record)

    @staticmethod
    def _count(event: str, data: dict[str, object]) -> None:
        if event == "webhook_event_processed":
            WEBHOOKS_PROCESSED.inc()
        elif event == "webhook_rejected":
            WEBHOOKS_REJECTED.labels(reason=str(data.get("reason"))).inc()
        elif event == "webhook_event_failed":
            WEBHOOKS_FAILED.labels(state=str(data.get("state", "PENDING"))).inc()
        elif event in ("sync_run_finished", "sync_run_skipped"):
            SYNC_RUNS.labels(status=str(data.get("status"))).inc()
            for outcome in _SYNC_OUTCOMES:
                # `created` is logged as `created_bookings` (LogRecord owns `created`)
                value = data.get(outcome + "_bookings", data.get(outcome))
                if isinstance(value, int) and value:
                    SYNC_RECORDS.labels(outcome=outcome).inc(value)
        elif event == "points_awarded":
            POINTS_AWARDED.inc(float(Decimal(str(data.get("points", "0")))))
        elif event in _SPENDING_EVENTS:
            POINTS_SPENT.labels(flow=_SPENDING_EVENTS[event]).inc(
                float(Decimal(str(data.get("points", "0"))))
            )
        elif event == "ledger_entry_written":
            LEDGER_ENTRIES.labels(kind=str(data.get("kind"))).inc()
        elif event == "stamina.retry_scheduled":
            YCLIENTS_ERRORS.labels(kind="retried").inc()
        elif event == "yclients_request_failed":
            YCLIENTS_ERRORS.labels(kind="gave_up").inc()
        elif event == "sms_refused":
            SMS_REFUSED.labels(reason=str(data.get("reason"))).inc()


_HANDLER = MetricsHandler(level=logging.INFO)
_SOURCES = ("src", "stamina")


def install_metrics() -> None:
    """Attach the handler (idempotent). The sources log at INFO whatever LOG_LEVEL says, so
    the counters do not depend on how verbose the log output is."""
    for name in _SOURCES:
        logger = logging.getLogger(name)
        if _HANDLER not in logger.handlers:
            logger.addHandler(_HANDLER)
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)


_OUTCOMES = {
    outcome: WEBHOOKS_RECEIVED.labels(outcome=outcome)
    for outcome in ("accepted", "duplicate", "ignored", "held")
}


def count_webhook(outcome: str) -> None:
    # The labelled children are looked up once: this runs for every webhook answered.
    child = _OUTCOMES.get(outcome)
    (child or WEBHOOKS_RECEIVED.labels(outcome=outcome)).inc()

"""Schemathesis hooks: steer generated *positive* cases to the server state the contract describes.

The OpenAPI document states these rules in prose because JSON Schema cannot express them: they
depend on the clock, on another parameter, or on what the client sent before. Random data breaks
them by chance, and the server then rightly answers 400. Rather than accepting every 400 for
these operations (which would hide real validation bugs), each hook rewrites just the value that
breaks a rule, so every positive case is one the server must accept, and the
`positive_data_acceptance` check keeps its full strength. Negative cases are left alone.

- `Idempotency-Key`: a client sends a fresh key per logical request (reusing one for a different
  request is a client error, 422), so each positive case gets a new UUID.
- Post `scheduledAt`: must be in the future; and on PUT, a schedule needs the status `scheduled`
  (sent, or kept from before).
- Analytics `from`/`to`: `from` not after `to`, at most 366 days, `to` defaulting to today.
- Webhook `url`: must lead to the public internet, which the server checks by resolving the
  host; a random host does not resolve, and a real one must not be sent events by a test. So
  every positive webhook gets the url `scripts/contract-test` gives (`CONTRACT_WEBHOOK_URL`,
  the server itself, allowed there with `--webhook-allow-private`).
"""

from __future__ import annotations

import os
import re
import uuid
from datetime import date, datetime, timedelta, timezone

import schemathesis

IDEMPOTENCY_KEY = re.compile(r"^[!-~]([ -~]*[!-~])?$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_RANGE_DAYS = 366


def _positive(case) -> bool:
    meta = case.meta
    return meta is not None and meta.generation.mode.is_positive


def _future() -> str:
    return (datetime.now(timezone.utc) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _is_past(value) -> bool:
    if not isinstance(value, str):
        return False
    try:
        at = datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
    except ValueError:
        return False
    if at.tzinfo is None:
        return False
    return at <= datetime.now(timezone.utc) + timedelta(minutes=1)


def _day(value):
    if isinstance(value, str) and DAY.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _fix_schedule(body: dict, *, update: bool) -> None:
    status = body.get("status")
    at = body.get("scheduledAt")
    if update and at is not None and status is None:
        body["status"] = status = "scheduled"
    if status == "scheduled" and (at is None or _is_past(at)):
        body["scheduledAt"] = _future()


def _fix_range(query: dict) -> None:
    start, end = _day(query.get("from")), _day(query.get("to"))
    today = datetime.now(timezone.utc).date()
    if start is not None and end is None and "to" not in query:
        if start > today or (today - start).days >= MAX_RANGE_DAYS:
            end = start
            query["to"] = end.isoformat()
    if start is not None and end is not None:
        if start > end:
            start, end = end, start
        if (end - start).days >= MAX_RANGE_DAYS:
            end = start + timedelta(days=MAX_RANGE_DAYS - 1)
        query["from"], query["to"] = start.isoformat(), end.isoformat()


def _fix_webhook_url(body: dict) -> None:
    url = os.environ.get("CONTRACT_WEBHOOK_URL")
    if url and isinstance(body.get("url"), str):
        body["url"] = url


def _steer(case):
    if not _positive(case):
        return case
    operation_id = case.operation.definition.raw.get("operationId")
    headers = case.headers
    if headers and isinstance(headers.get("Idempotency-Key"), str):
        if IDEMPOTENCY_KEY.match(headers["Idempotency-Key"]):
            headers["Idempotency-Key"] = str(uuid.uuid4())
    if operation_id in ("createPost", "updatePost") and isinstance(case.body, dict):
        _fix_schedule(case.body, update=operation_id == "updatePost")
    if operation_id in ("createWebhook", "updateWebhook") and isinstance(case.body, dict):
        _fix_webhook_url(case.body)
    if operation_id in ("getAnalytics", "getPostAnalytics") and isinstance(case.query, dict):
        _fix_range(case.query)
    return case


@schemathesis.hook
def map_case(context, case):
    return _steer(case)


@schemathesis.hook
def before_add_examples(context, examples):
    for case in examples:
        _steer(case)

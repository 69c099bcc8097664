"""Failure alerts of the olist DAGs: one clear line per failed task, and a webhook when configured.

The line names the DAG, the task, the logical date, the run id and the CLI's own error (the
exception the task failed with), so a person reading a chat channel or a log knows what failed and
what to do without opening Airflow. It is written to the task log (level ERROR, logger
``olist.alert``) and, when ``OLIST_ALERT_WEBHOOK_URL`` is set in the worker's environment, POSTed
there as JSON (``{"text": line, ...fields}``: the shape Slack, Mattermost and most chat webhooks
accept). A webhook that does not answer is logged, never raised: an alert must not hide the failure
it reports. Hand-written (15 lines of urllib) rather than a provider's notifier: no extra package,
and the same code for any webhook.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from typing import Any

log = logging.getLogger("olist.alert")

WEBHOOK_ENV = "OLIST_ALERT_WEBHOOK_URL"


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def alert_fields(context: Any) -> dict[str, Any]:
    ti = _get(context, "ti") or _get(context, "task_instance")
    dag_run = _get(context, "dag_run")
    logical_date = _get(context, "logical_date") or _get(dag_run, "logical_date")
    error = _get(context, "exception")
    return {
        "dag_id": _get(ti, "dag_id") or _get(dag_run, "dag_id"),
        "task_id": _get(ti, "task_id"),
        "logical_date": logical_date.isoformat() if logical_date is not None else None,
        "run_id": _get(ti, "run_id") or _get(dag_run, "run_id"),
        "try_number": _get(ti, "try_number"),
        "error": str(error).strip().splitlines()[0] if error else "unknown error (see the task log)",
    }


def alert_line(fields: dict[str, Any]) -> str:
    return (
        f"OLIST ALERT: {fields['dag_id']}.{fields['task_id']} failed"
        f" (logical date {fields['logical_date'] or '-'}, run {fields['run_id']}, try {fields['try_number']}): {fields['error']}"
    )


def alert_on_failure(context: Any) -> None:
    """on_failure_callback of every olist task (see DEFAULT_ARGS in olist_common.py)."""
    fields = alert_fields(context)
    line = alert_line(fields)
    log.error("%s", line)
    url = os.environ.get(WEBHOOK_ENV)
    if not url:
        return
    body = json.dumps({"text": line, **fields}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
    except Exception as e:  # noqa: BLE001 - the alert must not mask the failure it reports
        log.error("could not deliver the alert to %s: %s", WEBHOOK_ENV, e)

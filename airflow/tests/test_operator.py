"""What a task does with the CLI's exit code, logs and summary; the sensor's timeout; the alert.

The operator runs real commands (bash) here; the CLI itself is exercised by test_dag_run.py and
test_scheduler.py.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest


def operator(command: str, **kwargs):
    from olist_common import OlistCliOperator

    return OlistCliOperator(task_id="t", bash_command=command, **kwargs)


@pytest.mark.parametrize("code", [75, 130, 143])
def test_busy_and_interrupted_are_retried(code):
    from airflow.sdk.exceptions import AirflowException, AirflowFailException

    with pytest.raises(AirflowException) as raised:
        operator(f"echo 'olist: another olist job holds the warehouse lock' >&2; exit {code}").execute({})
    assert not isinstance(raised.value, AirflowFailException)
    assert "another olist job holds the warehouse lock" in str(raised.value)


@pytest.mark.parametrize("code", [1, 2, 99])
def test_bad_input_fails_fast_with_the_cli_error(code):
    from airflow.sdk.exceptions import AirflowFailException

    failing = "echo '{\"ok\":false,\"error\":\"batch 2017-11-23: refused by the quality gate\"}'; " + f"exit {code}"
    with pytest.raises(AirflowFailException, match="refused by the quality gate"):
        operator(failing).execute({})


def test_cli_log_levels_are_kept_and_the_summary_is_short(capsys, tmp_path):
    from olist_common import _digest, _short

    big = json.dumps({"ok": True, "runId": 3, "applied": [{"batchId": f"b{i}", "models": list(range(50))} for i in range(2000)]}, indent=2)
    assert len(big) > 300_000
    lines = [
        json.dumps({"level": 40, "time": 1, "msg": "quality check", "check": "stg_orders.late", "status": "warn"}),
        json.dumps({"level": 50, "time": 1, "msg": "something broke"}),
    ]
    (tmp_path / "out.json").write_text(big)
    command = "; ".join([*(f"echo '{line}' >&2" for line in lines), f"cat {tmp_path / 'out.json'}"])
    operator(command).execute({})
    out = capsys.readouterr().out
    # Airflow's log lines keep the CLI's level (structlog renders it in brackets)
    assert any("[warning" in l and 'quality check {"check": "stg_orders.late", "status": "warn"}' in l for l in out.splitlines()), out
    assert any("[error" in l and "something broke" in l for l in out.splitlines()), out
    assert len(out) < 10_000, len(out)  # not the 300 KB document
    # the summary logged is a digest of the document, a line, not the document
    digest = _short(json.dumps(_digest(json.loads(big))))
    assert len(digest) < 2_100 and '"runId": 3' in digest


def test_asset_extra_is_set_on_the_outlet_event():
    from olist_common import MARTS, batch_extra

    class Events(dict):
        def __missing__(self, key):
            self[key] = type("Event", (), {"extra": None})()
            return self[key]

    summary = {"ok": True, "runId": 9, "alreadyApplied": ["reference"],
               "applied": [{"batchId": "2017-11-21", "rowsRead": 10, "rowsLoaded": 9, "rowsRejected": 1, "rowsParked": 0, "rowsStale": 0, "models": []}]}
    events = Events()
    task = operator(f"echo '{json.dumps(summary)}'", outlets=[MARTS], asset_extra=batch_extra)
    task.execute({"outlet_events": events})
    assert events[MARTS].extra == {
        "run_id": 9, "batches": ["2017-11-21"], "already_applied": ["reference"],
        "rows": {"2017-11-21": {"rowsRead": 10, "rowsLoaded": 9, "rowsRejected": 1, "rowsParked": 0, "rowsStale": 0}},
    }


def test_sensor_finds_the_manifest_where_the_cli_looks(monkeypatch, tmp_path):
    from olist_common import BatchManifestSensor

    monkeypatch.setenv("OLIST_LANDING_DIR", str(tmp_path))
    sensor = BatchManifestSensor(task_id="w", batch_id="2017-11-21", mode="poke", poke_interval=0.1, timeout=60)
    assert sensor.poke({}) is False
    (tmp_path / "2017-11-21").mkdir()
    (tmp_path / "2017-11-21" / "olist_orders_dataset.csv").write_text("being written")
    assert sensor.poke({}) is False  # no manifest yet: the batch is still being written
    (tmp_path / "2017-11-21" / "manifest.json").write_text("{}")
    assert sensor.poke({}) is True
    monkeypatch.delenv("OLIST_LANDING_DIR")
    monkeypatch.setenv("OLIST_HOME", str(tmp_path / "home"))
    assert sensor.manifest() == tmp_path / "home" / "landing" / "2017-11-21" / "manifest.json"


def test_sensor_timeout_names_the_missing_batch(monkeypatch, tmp_path):
    from airflow.sdk.exceptions import AirflowSensorTimeout

    from olist_common import BatchManifestSensor

    monkeypatch.setenv("OLIST_LANDING_DIR", str(tmp_path))
    sensor = BatchManifestSensor(task_id="w", batch_id="2017-11-21", mode="poke", poke_interval=0.05, timeout=0.2)
    with pytest.raises(AirflowSensorTimeout, match=r"batch 2017-11-21 never arrived: no .*2017-11-21/manifest.json after"):
        sensor.execute({"ti": type("TI", (), {"try_number": 1, "task_reschedule_count": 0})()})


class _Hook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def webhook(monkeypatch):
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    _Hook.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("OLIST_ALERT_WEBHOOK_URL", f"http://127.0.0.1:{server.server_address[1]}/hook")
    yield _Hook.received
    server.shutdown()


def test_alert_is_one_clear_line_and_reaches_the_webhook(webhook, caplog):
    from types import SimpleNamespace

    from airflow.sdk.exceptions import AirflowFailException

    from olist_alerting import alert_on_failure

    ti = SimpleNamespace(dag_id="olist_daily", task_id="apply_batch", run_id="backfill__2017-11-24T02:00:00+00:00", try_number=1)
    error = AirflowFailException("exit 1 (not retried): batch 2017-11-23: refused by the quality gate, nothing applied")
    with caplog.at_level(logging.ERROR, logger="olist.alert"):
        alert_on_failure({"ti": ti, "logical_date": datetime(2017, 11, 23, 2, tzinfo=timezone.utc), "exception": error})
    lines = [r.getMessage() for r in caplog.records if r.name == "olist.alert"]
    assert lines == [
        "OLIST ALERT: olist_daily.apply_batch failed (logical date 2017-11-23T02:00:00+00:00,"
        " run backfill__2017-11-24T02:00:00+00:00, try 1): exit 1 (not retried): batch 2017-11-23: refused by the quality gate, nothing applied"
    ]
    assert len(webhook) == 1
    assert webhook[0]["text"] == lines[0]
    assert webhook[0]["dag_id"] == "olist_daily" and webhook[0]["task_id"] == "apply_batch"


def test_an_unreachable_webhook_does_not_raise(monkeypatch, caplog):
    from olist_alerting import alert_on_failure

    monkeypatch.setenv("OLIST_ALERT_WEBHOOK_URL", "http://127.0.0.1:9/nothing-listens-here")
    with caplog.at_level(logging.ERROR, logger="olist.alert"):
        alert_on_failure({"ti": None, "exception": RuntimeError("boom")})
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("OLIST ALERT:") and m.endswith("boom") for m in messages)
    assert any("could not deliver the alert" in m for m in messages)

"""olist_daily through the real Airflow: api-server, scheduler and dag-processor started by
`olist airflow` on PostgreSQL metadata (an `airflow` database on the test's embedded server), a
backfill over three days of a simulated feed, the asset event and the downstream DAG, a bad day
that changes nothing and alerts a webhook, clearing that day once fixed, and a clean stop.

Everything is bounded in time; the Airflow processes are stopped at the end whatever happened.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from conftest import CLI, PROJECT_DIR, cli_json, free_port, run_cli

pytestmark = pytest.mark.e2e

DAYS = ["2017-11-20", "2017-11-21", "2017-11-22"]
BAD_DAY = "2017-11-23"
MARTS = ["daily_revenue", "monthly_revenue", "orders_by_state", "orders_by_region", "seller_performance",
         "delivery_times_by_state", "delivery_times_monthly"]
STARTUP_S = 300
RUNS_S = 300


class _Hook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802
        _Hook.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def _wait(what: str, predicate, timeout: float, interval: float = 2.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture(scope="module")
def feed_env():
    """A throwaway OLIST_HOME with a simulated feed (reference + 4 days), its own embedded-server
    port, no DATABASE_URL, no inherited Airflow settings, and a webhook listening for alerts."""
    base = Path(tempfile.mkdtemp(prefix="olist-airflow-sched-"))
    base.chmod(0o755)  # the embedded server runs as the postgres user and must reach its data dir
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Hook.received = []
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.pop("DATABASE_URL", None)
    env.update(
        {
            "OLIST_HOME": str(base / "home"),
            "OLIST_DATA_DIR": str(base / "data"),
            "OLIST_PG_PORT": str(free_port()),
            "LOG_LEVEL": "warn",
            # the feed's first day, and its end: no scheduled run of 'today' waits for a batch
            "OLIST_FEED_START_DATE": DAYS[0],
            "OLIST_FEED_END_DATE": "2017-11-30",
            "OLIST_ALERT_WEBHOOK_URL": f"http://127.0.0.1:{server.server_address[1]}/alerts",
            "OLIST_AIRFLOW_PARALLELISM": "2",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            # no `airflow dags unpause` round trip: nothing runs on its own here (olist_daily's
            # end date is past and it has no catchup; the other DAGs are manual or asset-driven)
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        }
    )
    t0 = time.monotonic()
    try:
        cli_json("generate", "--scale", "0.02", "--seed", "7", "--out", env["OLIST_DATA_DIR"], env=env)
        # The geolocation file is not scaled (140k points) and travels in the reference batch:
        # 5,000 points keep the test's first day short (customers without a point only warn).
        geo = Path(env["OLIST_DATA_DIR"]) / "olist_geolocation_dataset.csv"
        with geo.open("rb") as f:
            head = b"".join(f.readline() for _ in range(5001))
        geo.write_bytes(head)
        cli_json("simulate", "--from", DAYS[0], "--to", BAD_DAY, env=env, timeout=600)
        print(f"feed generated and simulated in {time.monotonic() - t0:.1f} s", flush=True)
        yield env
    finally:
        run_cli("db", "stop", env=env, timeout=120)
        server.shutdown()
        shutil.rmtree(base, ignore_errors=True)


def _psql(url: str, sql: str) -> list[tuple]:
    import psycopg2

    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall() if cur.description else []


def _marts_fingerprint(url: str) -> dict[str, str]:
    prints = {}
    for table in MARTS:
        rows = _psql(url, f"select md5(t::text) from marts.{table} t order by 1")
        prints[table] = hashlib.sha256("".join(r[0] for r in rows).encode()).hexdigest()
    return prints


def test_daily_backfill_through_the_real_scheduler(feed_env):
    env = feed_env
    port = free_port()
    warehouse = cli_json("db", "url", env=env)["url"]
    metadata = warehouse.rsplit("/", 1)[0] + "/airflow"
    landing = Path(env["OLIST_HOME"]) / "landing"
    # the bad day: a file cut in half in transit, its manifest intact (the feed must refuse it)
    orders = landing / BAD_DAY / "olist_orders_dataset.csv"
    original = orders.read_bytes()
    orders.write_bytes(original[: len(original) // 2])

    launcher = subprocess.Popen(
        ["node", str(CLI), "airflow", "start", "--port", str(port)],
        cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    pid_file = Path(env["OLIST_HOME"]) / "airflow" / "olist-airflow.json"
    output: list[str] = []
    threading.Thread(target=lambda: output.extend(launcher.stdout), daemon=True).start()
    pids: list[int] = []
    started = time.monotonic()
    timings: list[str] = []

    def phase(name: str) -> None:
        timings.append(f"{time.monotonic() - started:6.1f} s  {name}")
        print(timings[-1], flush=True)  # shown with pytest -s: where the test's time goes

    try:
        _wait("Airflow to be up", lambda: launcher.poll() is not None or any("Airflow is up" in l for l in output), STARTUP_S, 1)
        assert launcher.poll() is None, "".join(output)
        login = next(l for l in output if "Airflow is up" in l)
        assert f"http://localhost:{port}" in login and "login admin / " in login
        pids = [c["pid"] for c in json.loads(pid_file.read_text())["components"]]
        phase("Airflow up (db migrate, api-server, scheduler, dag-processor)")

        af_env = {**env, **cli_json("airflow", "env", "--port", str(port), env=env)["env"]}
        assert af_env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")

        def airflow(*args: str) -> subprocess.CompletedProcess[str]:
            proc = subprocess.run(["airflow", *args], env=af_env, capture_output=True, text=True, timeout=180)
            assert proc.returncode == 0, f"airflow {' '.join(args)}: {proc.stderr[-3000:]}"
            return proc

        dags = ("olist_daily", "olist_quality_report", "olist_full_refresh", "olist_generate_demo")
        _wait("the DAGs to be parsed", lambda: len(_psql(metadata, f"select dag_id from dag where dag_id in {dags}")) == 4, 180)
        assert _psql(metadata, "select count(*) from dag where is_paused")[0][0] == 0
        phase("DAGs parsed")

        # --- three days, one backfill (the to-date covers the last day's local midnight, 02:00 UTC)
        airflow("backfill", "create", "--dag-id", "olist_daily", "--from-date", DAYS[0], "--to-date", f"{DAYS[-1]}T23:59:59",
                "--reprocess-behavior", "failed", "--max-active-runs", "1")

        def daily_runs():
            return _psql(metadata, "select run_id, state from dag_run where dag_id = 'olist_daily' and run_type = 'backfill' order by logical_date")

        runs = _wait("the three days", lambda: (r := daily_runs()) and len(r) == 3 and all(s in ("success", "failed") for _, s in r) and r, RUNS_S)
        assert [s for _, s in runs] == ["success"] * 3, runs

        ledger = [r[0] for r in _psql(warehouse, "select batch_id from audit.feed_batches order by seq")]
        assert ledger == ["reference", *DAYS]  # exactly those batches, in order, once each
        days = {r[0].isoformat() for r in _psql(warehouse, "select day from marts.daily_revenue")}
        assert days and days <= set(DAYS), days
        orders_in_marts = _psql(warehouse, "select sum(orders) from marts.orders_by_state")[0][0]
        assert orders_in_marts == _psql(warehouse, "select count(*) from warehouse.order_fulfillment_fact")[0][0] > 0

        # the asset events carry what each run published; the downstream DAG ran on them
        events = [e[0] if isinstance(e[0], dict) else json.loads(e[0]) for e in _psql(metadata, "select extra from asset_event order by id")]
        assert [e["batches"] for e in events] == [["reference", DAYS[0]], [DAYS[1]], [DAYS[2]]], events
        assert all(e["rows"][b]["rowsRead"] > 0 for e in events for b in e["batches"])
        _wait("the quality report DAG", lambda: _psql(metadata, "select 1 from dag_run where dag_id = 'olist_quality_report' and state = 'success'"), 120)
        assert (Path(env["OLIST_HOME"]) / "reports").is_dir()

        # one backfill per DAG at a time: the scheduler closes it once its runs are done
        _wait("the backfill to complete", lambda: _psql(metadata, "select bool_and(completed_at is not null) from backfill")[0][0], 120, 1)
        phase("three days applied, asset events, report DAG")

        # --- the bad day: refused at once (no retry), marts untouched, an alert at the webhook
        before = _marts_fingerprint(warehouse)
        airflow("backfill", "create", "--dag-id", "olist_daily", "--from-date", BAD_DAY, "--to-date", f"{BAD_DAY}T23:59:59",
                "--reprocess-behavior", "failed", "--max-active-runs", "1")
        bad = _wait("the bad day to fail", lambda: (r := daily_runs()) and len(r) == 4 and r[-1][1] in ("success", "failed") and r[-1], RUNS_S)
        assert bad[1] == "failed"
        tries = _psql(metadata, f"select state, try_number from task_instance where dag_id = 'olist_daily' and task_id = 'apply_batch' and run_id = '{bad[0]}'")
        assert tries == [("failed", 1)]  # a bad batch is not retried
        assert _marts_fingerprint(warehouse) == before
        assert [r[0] for r in _psql(warehouse, "select batch_id from audit.feed_batches order by seq")] == ["reference", *DAYS]
        alerts = _wait("the alert", lambda: [a for a in _Hook.received if a.get("task_id") == "apply_batch"], 60, 1)
        assert len(alerts) == 1
        assert alerts[0]["text"].startswith("OLIST ALERT: olist_daily.apply_batch failed (logical date 2017-11-23")
        assert f"run {bad[0]}" in alerts[0]["text"] and "olist_orders_dataset.csv does not match its manifest" in alerts[0]["text"]

        # --- the batch is delivered again, intact: clearing the failed day reruns it, and it applies
        orders.write_bytes(original)
        airflow("tasks", "clear", "olist_daily", "--only-failed", "-y", "-s", BAD_DAY, "-e", f"{BAD_DAY}T23:59:59")
        _wait("the cleared day to succeed", lambda: daily_runs()[-1][1] == "success", RUNS_S)
        assert [r[0] for r in _psql(warehouse, "select batch_id from audit.feed_batches order by seq")] == ["reference", *DAYS, BAD_DAY]
        phase("bad day refused and alerted, cleared and rerun")
    finally:
        # --- a clean stop: every process the launcher started is gone
        if launcher.poll() is None:
            stopped = run_cli("airflow", "stop", env=env, timeout=120)
            assert stopped.returncode == 0, stopped.stderr
            launcher.wait(timeout=60)
        for pid in pids:
            with pytest.raises(ProcessLookupError):
                os.killpg(pid, 0)
        phase("stopped")
        if launcher.poll() is None:  # pragma: no cover - only if the stop itself failed
            os.killpg(launcher.pid, signal.SIGKILL)

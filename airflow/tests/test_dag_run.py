"""The DAGs run for real with ``dag.test()`` (Airflow 3): tasks execute in this process, each one a
real ``node bin/olist.js ...`` against an embedded PostgreSQL in a throwaway OLIST_HOME."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pendulum
import pytest

from conftest import DAGS_DIR, cli_json, free_port, run_cli

SCALE = "0.02"  # ~2,000 orders, 140k geolocation rows: each CLI step takes a second or two


def fresh_dag(dag_id: str):
    """A DAG object of its own (tests tweak tasks; the session DagBag must stay pristine)."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_DIR))
    assert bag.import_errors == {}
    return bag.dags[dag_id]


def task_states(dag_id: str, run_id: str) -> dict[str, str]:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(
            select(TaskInstance.task_id, TaskInstance.state).where(
                TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id
            )
        ).all()
    return {task_id: str(state.value if hasattr(state, "value") else state) for task_id, state in rows}


def run_dag(dag, **kwargs):
    for task in dag.tasks:
        task.retries = 0  # fail fast in tests instead of sleeping through retry delays
    dr = dag.test(**kwargs)
    run_dag.last_run = dr
    return str(dr.state.value if hasattr(dr.state, "value") else dr.state), task_states(dag.dag_id, dr.run_id)


@pytest.fixture(scope="module")
def olist_home():
    """Environment for the CLI: a throwaway OLIST_HOME, its own embedded-server port, no DATABASE_URL
    (so nothing can touch a real warehouse). Tasks inherit it through append_env=True."""
    base = Path(tempfile.mkdtemp(prefix="olist-airflow-e2e-"))
    base.chmod(0o755)  # the embedded server runs as the postgres user and must reach its data dir
    env = {
        "OLIST_HOME": str(base / "home"),
        "OLIST_DATA_DIR": str(base / "data"),
        "OLIST_PG_PORT": str(free_port()),
        "LOG_LEVEL": "warn",
    }
    mp = pytest.MonkeyPatch()
    mp.delenv("DATABASE_URL", raising=False)
    for k, v in env.items():
        mp.setenv(k, v)
    try:
        yield base
    finally:
        run_cli("db", "stop", timeout=120)
        mp.undo()
        shutil.rmtree(base, ignore_errors=True)


def query(sql: str) -> list[tuple]:
    import psycopg2

    with psycopg2.connect(cli_json("db", "url")["url"]) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def daily_revenue_rows() -> int:
    import psycopg2

    url = cli_json("db", "url")["url"]
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("select to_regclass('marts.daily_revenue') is not null")
        if not cur.fetchone()[0]:
            cur.execute("select table_schema || '.' || table_name from information_schema.tables "
                        "where table_schema not in ('pg_catalog', 'information_schema') order by 1")
            pytest.fail(f"marts.daily_revenue is missing; tables: {[r[0] for r in cur.fetchall()]}")
        cur.execute("select count(*) from marts.daily_revenue")
        return cur.fetchone()[0]


FULL_LOAD = ("reserve_warehouse", "migrate", "ingest", "transform", "quality_gate", "publish", "release_warehouse")


@pytest.mark.e2e
def test_full_refresh_dag_end_to_end(airflow_db, olist_home):
    cli_json("generate", "--scale", SCALE, "--seed", "7", "--out", os.environ["OLIST_DATA_DIR"])

    state, tasks = run_dag(fresh_dag("olist_full_refresh"), logical_date=pendulum.datetime(2025, 1, 31, tz="UTC"))

    assert tasks == {t: "success" for t in FULL_LOAD}
    assert state == "success"
    assert daily_revenue_rows() > 0
    # The DAG handed the run's logical date to the gate (OLIST_LOGICAL_DATE, rendered by Airflow).
    gates = query("select g.logical_date::text, r.command from audit.quality_gates g join audit.runs r using (run_id) order by run_id")
    # The gate ran once, in quality_gate: publish trusted the verdict recorded for the staged build.
    assert gates == [("2025-01-31", "check --staged")]
    last = cli_json("status")["runs"][0]
    assert last["command"] == "publish" and last["status"] == "succeeded" and last["published"] is True
    # The reservation was released by the teardown: a job of no id may write again.
    assert query("select count(*) from audit.job_reservations") == [(0,)]


@pytest.mark.e2e
def test_demo_dag_generates_then_publishes(airflow_db, olist_home):
    """Also proves the templated --out/--data-dir (Jinja params + ${OLIST_HOME}) render and agree."""
    state, tasks = run_dag(fresh_dag("olist_generate_demo"), run_conf={"scale": float(SCALE), "seed": 7})

    assert tasks == {t: "success" for t in ("generate", *FULL_LOAD)}
    assert state == "success"
    generated = Path(os.environ["OLIST_HOME"]) / "demo-data" / f"scale-{float(SCALE)}-seed-7"
    assert (generated / "olist_orders_dataset.csv").is_file()
    assert daily_revenue_rows() > 0


def test_failed_gate_blocks_publish(airflow_db):
    """Airflow semantics of the gate, without the CLI: when quality_gate fails, publish never runs."""
    dag = fresh_dag("olist_full_refresh")
    dag.get_task("quality_gate").bash_command = "echo 'error-level check failed' >&2; exit 1"
    dag.get_task("publish").bash_command = "echo publish must not run; exit 3"

    for task_id in ("reserve_warehouse", "release_warehouse"):
        dag.get_task(task_id).bash_command = "echo '{\"ok\": true}'"

    state, tasks = run_dag(dag, mark_success_pattern="migrate|ingest|transform")

    assert state == "failed"
    assert tasks["quality_gate"] == "failed"
    assert tasks["publish"] == "upstream_failed"
    assert tasks["release_warehouse"] == "success"  # the teardown still ends the reservation


@pytest.mark.e2e
def test_a_reservation_keeps_every_other_job_out(airflow_db, olist_home, tmp_path):
    """What keeps the DAGs from interleaving: while a full load's run holds the reservation, any
    other job (the daily feed's apply, the other DAG's reserve) is refused with exit 75 (retried by
    Airflow), and the holder's own steps pass."""
    env = {**os.environ, "OLIST_LANDING_DIR": str(tmp_path)}  # an empty feed: the apply has nothing to do
    held = cli_json("job", "reserve", "--id", "olist_full_refresh/run-a", "--ttl-minutes", "5", env=env)
    assert held["jobId"] == "olist_full_refresh/run-a"
    try:
        feed = run_cli("run", "--incremental", "--json", env=env)
        assert feed.returncode == 75, feed.stderr
        assert "reserved by job olist_full_refresh/run-a" in feed.stderr
        other = run_cli("job", "reserve", "--id", "olist_generate_demo/run-b", "--json", env=env)
        assert other.returncode == 75, other.stderr
        own = run_cli("run", "--incremental", "--json", env={**env, "OLIST_JOB_ID": "olist_full_refresh/run-a"})
        assert own.returncode == 0, own.stderr
    finally:
        assert cli_json("job", "release", "--id", "olist_full_refresh/run-a", env=env)["released"] is True
    # released: the next job gets in
    assert run_cli("run", "--incremental", "--json", env=env).returncode == 0
    assert cli_json("job", "release", "--id", "olist_full_refresh/run-a", env=env)["released"] is False

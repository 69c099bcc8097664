"""The DAGs load, and their graphs, schedules, timeouts and retry policy are what docs/airflow.md says."""

from __future__ import annotations

import shlex
from datetime import timedelta
from pathlib import Path

import pendulum
import pytest

from conftest import DAGS_DIR, PROJECT_DIR

FULL_LOAD = ["reserve_warehouse", "migrate", "ingest", "transform", "quality_gate", "publish", "release_warehouse"]
EXPECTED = {
    "olist_full_refresh": FULL_LOAD,
    "olist_generate_demo": ["generate", *FULL_LOAD],
    "olist_daily": ["wait_for_batch", "apply_batch"],
    "olist_quality_report": ["report"],
}
COMMANDS = {
    "generate": ["generate"],
    "reserve_warehouse": ["job", "reserve"],
    "release_warehouse": ["job", "release"],
    "migrate": ["migrate"],
    "ingest": ["ingest"],
    "transform": ["transform"],
    "quality_gate": ["check", "--staged"],
    "publish": ["publish"],
    "apply_batch": ["run", "--incremental"],
    "report": ["report"],
}
#: The tasks that write the warehouse in a full load: all inside the run's reservation.
RESERVED = {"migrate", "ingest", "transform", "quality_gate", "publish", "release_warehouse", "reserve_warehouse"}


def cli_argv(bash_command: str) -> list[str]:
    """The CLI part of a task's command: ``[command, arg...]`` after ``bin/olist.js``."""
    tokens = shlex.split(bash_command)
    assert "bin/olist.js" in tokens, bash_command
    return tokens[tokens.index("bin/olist.js") + 1 :]


def cli_tasks(dag):
    from olist_common import OlistCliOperator

    return [t for t in dag.tasks if isinstance(t, OlistCliOperator)]


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    assert sorted(dagbag.dag_ids) == sorted(EXPECTED)


def test_helper_modules_are_not_parsed_as_dag_files():
    ignore = (DAGS_DIR / ".airflowignore").read_text().split()
    assert {"olist_common.py", "olist_alerting.py"} <= set(ignore)


@pytest.mark.parametrize("dag_id", sorted(EXPECTED))
def test_task_graph_is_a_straight_line(dagbag, dag_id):
    dag = dagbag.dags[dag_id]
    order = EXPECTED[dag_id]
    assert sorted(dag.task_ids) == sorted(order)
    for i, task_id in enumerate(order):
        task = dag.get_task(task_id)
        # the teardown also hangs off its setup (reserve_warehouse), as Airflow wires setup/teardown
        upstream = {order[i - 1]} if i else set()
        if task_id == "release_warehouse":
            upstream |= {"reserve_warehouse"}
        assert task.upstream_task_ids == upstream, task_id
        downstream = {order[i + 1]} if i + 1 < len(order) else set()
        if task_id == "reserve_warehouse":
            downstream |= {"release_warehouse"}
        assert task.downstream_task_ids == downstream, task_id


@pytest.mark.parametrize("dag_id", ["olist_full_refresh", "olist_generate_demo"])
def test_full_load_gate_publish_and_reservation(dagbag, dag_id):
    dag = dagbag.dags[dag_id]
    publish = dag.get_task("publish")
    assert publish.upstream_task_ids == {"quality_gate"}
    assert publish.trigger_rule == "all_success"
    assert cli_argv(dag.get_task("quality_gate").bash_command) == ["check", "--staged", "--json"]
    # publish does not gate again: the gate runs once (publish trusts the verdict recorded for the build)
    assert cli_argv(publish.bash_command) == ["publish", "--json"]
    reserve, release = dag.get_task("reserve_warehouse"), dag.get_task("release_warehouse")
    assert reserve.is_setup and release.is_teardown
    assert release.upstream_task_ids == {"publish", "reserve_warehouse"}
    # every step of the run carries the run's job id, so it passes the reservation and others do not
    for task in cli_tasks(dag):
        if task.task_id in RESERVED:
            assert task.env["OLIST_JOB_ID"] == "{{ dag_run.dag_id }}/{{ dag_run.run_id }}", task.task_id


def test_reservation_job_id_renders_per_run(dagbag):
    from types import SimpleNamespace

    dag = dagbag.dags["olist_full_refresh"]
    task = dag.get_task("ingest")
    run = SimpleNamespace(dag_id="olist_full_refresh", run_id="manual__2025-01-31T00:00:00+00:00", run_after=None)
    assert task.render_template(task.env["OLIST_JOB_ID"], {"dag_run": run}, dag.get_template_env()) == (
        "olist_full_refresh/manual__2025-01-31T00:00:00+00:00"
    )


def test_full_refresh_is_manual(dagbag):
    dag = dagbag.dags["olist_full_refresh"]
    assert dag.schedule is None
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert dag.dagrun_timeout is not None and dag.dagrun_timeout <= timedelta(hours=6)
    assert dag.doc_md


def test_demo_dag_is_manual_only(dagbag):
    dag = dagbag.dags["olist_generate_demo"]
    assert dag.schedule is None
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert set(dag.params.keys()) == {"scale", "seed"}


def test_daily_timetable_gives_one_local_day_intervals(dagbag):
    from airflow.serialization.serialized_objects import DagSerialization
    from airflow.timetables.base import DataInterval, TimeRestriction

    dag = dagbag.dags["olist_daily"]
    tz = pendulum.timezone("America/Sao_Paulo")
    assert dag.start_date == pendulum.datetime(2016, 9, 4, tz=tz)  # the feed's first day
    assert dag.max_active_runs == 1
    # the scheduler's view of the timetable: the DAG as the DAG processor serializes it
    timetable = DagSerialization.from_dict(DagSerialization.to_dict(dag)).timetable
    restriction = TimeRestriction(earliest=dag.start_date, latest=None, catchup=True)
    first = timetable.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    assert first.data_interval == DataInterval(pendulum.datetime(2016, 9, 4, tz=tz), pendulum.datetime(2016, 9, 5, tz=tz))
    assert first.run_after == first.data_interval.end  # a day runs once it is over
    # one local day each, across a daylight-saving change: on 2017-10-15 Sao Paulo's clocks jumped
    # from 00:00 to 01:00, so that day is 23 hours long and starts at 01:00; the next is 24 hours again
    prev = DataInterval(pendulum.datetime(2017, 10, 14, tz=tz), pendulum.datetime(2017, 10, 15, tz=tz))
    nxt = timetable.next_dagrun_info(last_automated_data_interval=prev, restriction=restriction)
    start, end = (d.in_timezone(tz) for d in (nxt.data_interval.start, nxt.data_interval.end))
    assert (start.date().isoformat(), end.date().isoformat()) == ("2017-10-15", "2017-10-16")
    assert (start.hour, end.hour, end - start) == (1, 0, timedelta(hours=23))
    after = timetable.next_dagrun_info(last_automated_data_interval=nxt.data_interval, restriction=restriction)
    assert after.data_interval.end - after.data_interval.start == timedelta(hours=24)
    assert after.data_interval.start == nxt.data_interval.end


def test_daily_batch_id_is_the_local_day_of_the_interval(dagbag):
    dag = dagbag.dags["olist_daily"]
    tz = pendulum.timezone("America/Sao_Paulo")
    apply_batch, sensor = dag.get_task("apply_batch"), dag.get_task("wait_for_batch")
    context = {"data_interval_start": pendulum.datetime(2017, 11, 21, tz=tz).in_timezone("UTC")}
    jinja = dag.get_template_env()
    assert sensor.render_template(sensor.batch_id, context, jinja) == "2017-11-21"
    argv = cli_argv(apply_batch.render_template(apply_batch.bash_command, context, jinja))
    assert argv == ["run", "--incremental", "--batch", "reference", "--batch", "2017-11-21", "--json"]


def test_daily_sensor_reschedules_with_a_timeout(dagbag):
    from olist_common import BatchManifestSensor

    sensor = dagbag.dags["olist_daily"].get_task("wait_for_batch")
    assert isinstance(sensor, BatchManifestSensor)
    assert sensor.mode == "reschedule"  # a waiting day holds no worker slot
    assert 0 < sensor.timeout <= timedelta(hours=24).total_seconds()
    assert sensor.depends_on_past is False
    # days are applied in order: a day's batch only after the day before succeeded
    assert dagbag.dags["olist_daily"].get_task("apply_batch").depends_on_past is True


def test_publishing_tasks_declare_the_marts_asset(dagbag):
    from olist_common import MARTS

    publishers = {("olist_daily", "apply_batch"), ("olist_full_refresh", "publish"), ("olist_generate_demo", "publish")}
    for dag_id in EXPECTED:
        for task in dagbag.dags[dag_id].tasks:
            declared = MARTS in task.outlets
            assert declared == ((dag_id, task.task_id) in publishers), (dag_id, task.task_id)
            if declared:
                assert task.asset_extra is not None, (dag_id, task.task_id)
    report = dagbag.dags["olist_quality_report"]
    assert list(report.timetable.asset_condition.objects) == [MARTS]


@pytest.mark.parametrize("dag_id", sorted(EXPECTED))
def test_every_task_is_a_thin_cli_call(dagbag, dag_id):
    from olist_common import BatchManifestSensor, OlistCliOperator

    for task in dagbag.dags[dag_id].tasks:
        if isinstance(task, BatchManifestSensor):
            continue
        assert isinstance(task, OlistCliOperator), task.task_id
        tokens = shlex.split(task.bash_command)
        assert tokens[:2] == ["node", "bin/olist.js"], task.bash_command
        assert tokens[-1] == "--json", task.bash_command
        argv = cli_argv(task.bash_command)
        assert argv[: len(COMMANDS[task.task_id])] == COMMANDS[task.task_id], task.task_id
        assert ";" not in task.bash_command and "&&" not in task.bash_command and "|" not in task.bash_command
        assert Path(task.cwd) == PROJECT_DIR, task.task_id
        # Secrets and config are inherited at run time, never frozen into the serialized DAG.
        assert not ({"DATABASE_URL", "OLIST_HOME", "OLIST_DATA_DIR"} & set(task.env or {})), task.task_id
        assert task.doc_md and task.doc_md.strip(), task.task_id


@pytest.mark.parametrize("dag_id", sorted(EXPECTED))
def test_every_task_has_a_timeout_and_an_alert(dagbag, dag_id):
    from olist_alerting import alert_on_failure

    for task in dagbag.dags[dag_id].tasks:
        assert task.execution_timeout is not None, task.task_id
        assert timedelta(0) < task.execution_timeout <= timedelta(hours=1), task.task_id
        assert alert_on_failure in (task.on_failure_callback or []) or task.on_failure_callback is alert_on_failure, task.task_id


@pytest.mark.parametrize("dag_id", sorted(EXPECTED))
def test_retries_are_for_exit_75_only(dagbag, dag_id):
    """CLI tasks have retries with back-off, which only a retryable exit code uses (the operator turns
    every other code into AirflowFailException: see test_operator.py)."""
    from olist_common import OlistCliOperator

    for task in dagbag.dags[dag_id].tasks:
        if isinstance(task, OlistCliOperator):
            assert task.retries == 6, task.task_id
            assert task.retry_exponential_backoff, task.task_id
            assert task.max_retry_delay is not None and task.max_retry_delay <= timedelta(minutes=10), task.task_id
        else:
            assert task.retries == 0, task.task_id  # the sensor's timeout is its verdict


def test_demo_ingest_reads_what_generate_wrote(dagbag):
    dag = dagbag.dags["olist_generate_demo"]
    gen = cli_argv(dag.get_task("generate").bash_command)
    ing = cli_argv(dag.get_task("ingest").bash_command)
    out_dir = gen[gen.index("--out") + 1]
    assert ing[ing.index("--data-dir") + 1] == out_dir


def test_project_dir_override(monkeypatch, tmp_path):
    """OLIST_PROJECT_DIR wins over the DAG file's location (DAGs deployed away from the checkout)."""
    import importlib

    import olist_common

    monkeypatch.setenv("OLIST_PROJECT_DIR", str(tmp_path))
    try:
        assert importlib.reload(olist_common).PROJECT_DIR == tmp_path.resolve()
        monkeypatch.delenv("OLIST_PROJECT_DIR")
        assert importlib.reload(olist_common).PROJECT_DIR == PROJECT_DIR
    finally:
        monkeypatch.setenv("OLIST_PROJECT_DIR", str(PROJECT_DIR))
        importlib.reload(olist_common)


def test_logical_date_is_passed_to_the_warehouse_steps(dagbag):
    """OLIST_LOGICAL_DATE renders to the run's date, also for a run triggered without a logical date."""
    from types import SimpleNamespace

    dag = dagbag.dags["olist_full_refresh"]
    jinja = dag.get_template_env()
    run_after = pendulum.datetime(2025, 3, 4, 5, 6, tz="UTC")
    steps = [t for t in dag.tasks if t.task_id not in {"reserve_warehouse", "release_warehouse"}]
    assert len(steps) == 5
    for task in steps:
        template = task.env["OLIST_LOGICAL_DATE"]
        dated = {"logical_date": pendulum.datetime(2025, 1, 31, tz="UTC"), "dag_run": SimpleNamespace(run_after=run_after)}
        assert task.render_template(template, dated, jinja) == "2025-01-31"
        undated = {"logical_date": None, "dag_run": SimpleNamespace(run_after=run_after)}
        assert task.render_template(template, undated, jinja) == "2025-03-04"
        assert task.render_template(template, {"dag_run": SimpleNamespace(run_after=run_after)}, jinja) == "2025-03-04"
    for task in dagbag.dags["olist_generate_demo"].tasks:
        assert "OLIST_LOGICAL_DATE" not in (getattr(task, "env", None) or {}), task.task_id

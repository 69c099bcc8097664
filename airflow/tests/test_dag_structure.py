"""The DAGs load, and their graphs are exactly what docs/airflow.md describes."""

from __future__ import annotations

import shlex
from datetime import timedelta
from pathlib import Path

import pytest

from conftest import DAGS_DIR, PROJECT_DIR

PIPELINE = ["migrate", "ingest", "transform", "quality_gate", "publish"]
EXPECTED = {
    "olist_warehouse": PIPELINE,
    "olist_generate_demo": ["generate", *PIPELINE],
}
COMMANDS = {
    "generate": "generate",
    "migrate": "migrate",
    "ingest": "ingest",
    "transform": "transform",
    "quality_gate": "check",
    "publish": "publish",
}
# Transient steps are retried; the gate's verdict on the data is not; generate is deterministic.
RETRIES = {"generate": 0, "migrate": 2, "ingest": 1, "transform": 1, "quality_gate": 0, "publish": 2}


def cli_argv(bash_command: str) -> list[str]:
    """The CLI part of a task's command: ``[command, arg...]`` after ``bin/olist.js``."""
    tokens = shlex.split(bash_command)
    assert "bin/olist.js" in tokens, bash_command
    return tokens[tokens.index("bin/olist.js") + 1 :]


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    assert sorted(dagbag.dag_ids) == sorted(EXPECTED)


def test_helper_module_is_not_parsed_as_a_dag_file():
    ignore = (DAGS_DIR / ".airflowignore").read_text()
    assert "olist_common.py" in ignore.split()


@pytest.mark.parametrize("dag_id", sorted(EXPECTED))
def test_task_graph_is_a_straight_line(dagbag, dag_id):
    dag = dagbag.dags[dag_id]
    order = EXPECTED[dag_id]
    assert sorted(dag.task_ids) == sorted(order)
    for i, task_id in enumerate(order):
        task = dag.get_task(task_id)
        assert task.upstream_task_ids == ({order[i - 1]} if i else set()), task_id
        assert task.downstream_task_ids == ({order[i + 1]} if i + 1 < len(order) else set()), task_id
        assert task.trigger_rule == "all_success", task_id


@pytest.mark.parametrize("dag_id", sorted(EXPECTED))
def test_gate_is_the_only_way_to_publish(dagbag, dag_id):
    dag = dagbag.dags[dag_id]
    publish = dag.get_task("publish")
    assert publish.upstream_task_ids == {"quality_gate"}
    assert "quality_gate" in {t.task_id for t in publish.get_flat_relatives(upstream=True)}
    assert cli_argv(dag.get_task("quality_gate").bash_command) == ["check", "--staged", "--json"]


def test_warehouse_dag_schedule_and_limits(dagbag):
    dag = dagbag.dags["olist_warehouse"]
    assert dag.schedule == "@daily"
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


@pytest.mark.parametrize("dag_id", sorted(EXPECTED))
def test_every_task_is_a_thin_cli_call(dagbag, dag_id):
    from airflow.providers.standard.operators.bash import BashOperator

    for task in dagbag.dags[dag_id].tasks:
        assert isinstance(task, BashOperator), task.task_id
        tokens = shlex.split(task.bash_command)
        assert tokens[:2] == ["node", "bin/olist.js"], task.bash_command
        assert tokens[-1] == "--json", task.bash_command
        assert cli_argv(task.bash_command)[0] == COMMANDS[task.task_id]
        assert ";" not in task.bash_command and "&&" not in task.bash_command and "|" not in task.bash_command
        assert Path(task.cwd) == PROJECT_DIR, task.task_id
        assert task.append_env is True, task.task_id
        # Secrets and config are inherited at run time, never frozen into the serialized DAG.
        assert not ({"DATABASE_URL", "OLIST_HOME", "OLIST_DATA_DIR"} & set(task.env or {})), task.task_id
        assert task.skip_on_exit_code == [], task.task_id  # exit 99 must fail, not skip
        assert task.doc_md and task.doc_md.strip(), task.task_id


@pytest.mark.parametrize("dag_id", sorted(EXPECTED))
def test_retries_and_timeouts(dagbag, dag_id):
    for task in dagbag.dags[dag_id].tasks:
        assert task.retries == RETRIES[task.task_id], task.task_id
        assert task.execution_timeout is not None, task.task_id
        assert task.execution_timeout <= timedelta(hours=1), task.task_id


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

    import pendulum

    dag = dagbag.dags["olist_warehouse"]
    jinja = dag.get_template_env()
    run_after = pendulum.datetime(2025, 3, 4, 5, 6, tz="UTC")
    for task in dag.tasks:
        template = task.env["OLIST_LOGICAL_DATE"]
        dated = {"logical_date": pendulum.datetime(2025, 1, 31, tz="UTC"), "dag_run": SimpleNamespace(run_after=run_after)}
        assert task.render_template(template, dated, jinja) == "2025-01-31"
        undated = {"logical_date": None, "dag_run": SimpleNamespace(run_after=run_after)}
        assert task.render_template(template, undated, jinja) == "2025-03-04"
        assert task.render_template(template, {"dag_run": SimpleNamespace(run_after=run_after)}, jinja) == "2025-03-04"
    for task in dagbag.dags["olist_generate_demo"].tasks:
        assert "OLIST_LOGICAL_DATE" not in task.env, task.task_id

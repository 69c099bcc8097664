"""Every command and option a DAG task uses really exists in the CLI (`node bin/olist.js --help`)."""

from __future__ import annotations

import re
from functools import lru_cache

import pytest

from conftest import run_cli
from test_dag_structure import EXPECTED, cli_argv

pytestmark = pytest.mark.cli


@lru_cache(maxsize=None)
def help_text(*command: str) -> str:
    proc = run_cli(*command, "--help", timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def commands_in(help_out: str) -> set[str]:
    """Command names listed under 'Commands:' in commander's help."""
    names: set[str] = set()
    in_commands = False
    for line in help_out.splitlines():
        if line.strip() == "Commands:":
            in_commands = True
            continue
        if in_commands:
            m = re.match(r"^  (\S+)", line)  # continuation lines are indented further
            if m and not line.startswith("   "):
                names.add(m.group(1))
    return names - {"help"}


def options_in(help_out: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", help_out))


def test_help_lists_the_pipeline_commands():
    assert {"migrate", "ingest", "transform", "check", "publish", "run", "status", "generate", "job", "airflow", "report"} <= commands_in(
        help_text()
    )
    assert "--json" in options_in(help_text())


def dag_commands() -> list[tuple[str, str, list[str]]]:
    from conftest import DAGS_DIR  # noqa: F401  (conftest already configured Airflow)
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_DIR))
    return [
        (dag_id, task.task_id, cli_argv(task.bash_command))
        for dag_id in sorted(EXPECTED)
        for task in bag.dags[dag_id].tasks
        if hasattr(task, "bash_command")
    ]


@pytest.mark.parametrize("dag_id,task_id,argv", dag_commands(), ids=lambda v: v if isinstance(v, str) else None)
def test_task_command_exists(dag_id, task_id, argv):
    command, *rest = argv
    assert command in commands_in(help_text()), f"{dag_id}.{task_id}: `olist {command}` is not a CLI command"
    words = [command]
    if rest and commands_in(help_text(command)):  # a command group (`job reserve`)
        assert rest[0] in commands_in(help_text(command)), f"{dag_id}.{task_id}: `olist {command} {rest[0]}` is not a CLI command"
        words.append(rest.pop(0))
    global_opts = options_in(help_text())
    command_opts = options_in(help_text(*words))
    for opt in (a for a in rest if a.startswith("--")):
        assert opt in command_opts or opt in global_opts, f"{dag_id}.{task_id}: `olist {command}` has no {opt}"


def test_db_url_exists_for_the_e2e_test():
    assert {"url", "stop"} <= commands_in(help_text("db"))
    assert {"start", "stop", "env"} <= commands_in(help_text("airflow"))

"""Shared helpers for the olist DAGs: where the project is, and how a task calls our CLI.

No business logic lives here (nor in the DAG files): every task is one ``node bin/olist.js <command>``
invocation, and everything about loading, checking and publishing data is the TypeScript CLI's job.
This module defines no DAG; .airflowignore keeps the DAG processor from parsing it as a DAG file,
and the DAG files import it (the DAGs folder is on sys.path).
"""

from __future__ import annotations

import os
import shlex
from datetime import timedelta
from pathlib import Path

from airflow.providers.standard.operators.bash import BashOperator

#: Project root: OLIST_PROJECT_DIR when set (DAGs deployed away from the checkout), else two levels
#: above this file (<root>/airflow/dags/olist_common.py).
PROJECT_DIR = Path(os.environ.get("OLIST_PROJECT_DIR") or Path(__file__).resolve().parents[2]).resolve()

#: Node executable (OLIST_NODE to pin a specific one) and the CLI launcher, relative to PROJECT_DIR.
NODE = os.environ.get("OLIST_NODE", "node")
CLI = "bin/olist.js"

#: Variables every task sets explicitly. Everything else (OLIST_DATA_DIR, OLIST_HOME, OLIST_PG_PORT,
#: DATABASE_URL, LOG_LEVEL, PATH...) is inherited from the worker's environment at run time through
#: ``append_env=True``: none of them is read at DAG-parse time, so no connection string or password
#: ends up in the serialized DAG or in the UI's rendered templates.
TASK_ENV: dict[str, str] = {"NO_COLOR": "1"}

#: The run's business day for the CLI (freshness checks are judged against it): the run's logical
#: date, or, for a run triggered without one (possible in Airflow 3), the time it was queued for.
#: Rendered by Airflow at run time (``env`` is a templated field).
LOGICAL_DATE_ENV: dict[str, str] = {
    "OLIST_LOGICAL_DATE": "{{ (logical_date if logical_date is defined and logical_date"
    " else dag_run.run_after) | ds }}",
}

#: Defaults for every task: no retries unless a task says so (see ``olist_task``).
DEFAULT_ARGS = {
    "owner": "data-eng",
    "depends_on_past": False,
    "retries": 0,
    "retry_delay": timedelta(minutes=1),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
    "execution_timeout": timedelta(minutes=30),
}


def olist_command(command: str, *args: str) -> str:
    """``node bin/olist.js <command> [args...] --json``.

    ``command`` may be two words (``db url``). ``args`` are inserted verbatim: they are written in our
    DAG files (never user input) and may use shell expansion (``"${OLIST_HOME:-.olist}/x"``) or Jinja
    (``{{ params.seed }}``) on purpose.
    """
    return " ".join([shlex.quote(NODE), CLI, command, *args, "--json"])


def olist_task(
    task_id: str,
    command: str,
    *args: str,
    doc_md: str,
    retries: int = 0,
    timeout: timedelta = timedelta(minutes=30),
    env: dict[str, str] | None = None,
) -> BashOperator:
    """One pipeline step: the CLI command run from the project root.

    A non-zero exit fails the task (``skip_on_exit_code=None``: exit 99 must not mean "skipped").
    Nothing is pushed to XCom: the task log holds the command's JSON summary, and stderr (JSON logs)
    is merged into the same stream, so "the last line" would not reliably be the summary.
    """
    return BashOperator(
        task_id=task_id,
        bash_command=olist_command(command, *args),
        cwd=str(PROJECT_DIR),
        env={**TASK_ENV, **(env or {})},
        append_env=True,
        skip_on_exit_code=None,
        do_xcom_push=False,
        retries=retries,
        execution_timeout=timeout,
        doc_md=doc_md,
    )


def pipeline_tasks(
    *ingest_args: str, logical_date: bool = True
) -> tuple[BashOperator, BashOperator, BashOperator, BashOperator, BashOperator]:
    """The five pipeline steps (migrate, ingest, transform, quality_gate, publish), not yet wired:
    the calling DAG file states the dependencies. ``ingest_args`` e.g. ``"--data-dir", DIR``.
    ``logical_date``: pass the run's date as OLIST_LOGICAL_DATE (else the CLI judges freshness
    against the newest purchase in the data). Call inside a ``with DAG(...)`` block.
    """
    env = LOGICAL_DATE_ENV if logical_date else None
    migrate = olist_task(
        "migrate",
        "migrate",
        retries=2,
        timeout=timedelta(minutes=10),
        env=env,
        doc_md="""
**migrate** — `olist migrate`: applies pending schema migrations (idempotent; a no-op when the
database is current). Starts the embedded PostgreSQL under `OLIST_HOME` when `DATABASE_URL` is
unset. Retried: failures here are mostly transient (database starting, lock held by another job).
""",
    )
    ingest = olist_task(
        "ingest",
        "ingest",
        *ingest_args,
        retries=1,
        timeout=timedelta(minutes=60),
        env=env,
        doc_md="""
**ingest** — `olist ingest`: stream-validates the nine CSVs of `OLIST_DATA_DIR` and COPYs them
into the staged raw layer (`raw_build`), reporting per-file row counts (see the task log). Rebuilds
the staged layer from scratch, so a retry is safe.
""",
    )
    transform = olist_task(
        "transform",
        "transform",
        retries=1,
        timeout=timedelta(minutes=60),
        env=env,
        doc_md="""
**transform** — `olist transform`: builds the SQL models (staging, star schema, marts) from the
staged raw layer into the staged build schemas. Nothing published changes. Idempotent rebuild, so a
retry is safe.
""",
    )
    quality_gate = olist_task(
        "quality_gate",
        "check",
        "--staged",
        retries=0,
        timeout=timedelta(minutes=30),
        env=env,
        doc_md="""
**quality_gate** — `olist check --staged`: runs the data-quality checks against the staged build.
Exits 1 when an error-level check fails, which fails this task and so blocks `publish`. Never
retried: a failed check is a verdict on the data, and rerunning it on the same data cannot change
it. Warnings are reported in the log but do not block. Freshness checks are judged against
`OLIST_LOGICAL_DATE`, which the DAG sets to the run's logical date.
""",
    )
    publish = olist_task(
        "publish",
        "publish",
        retries=2,
        timeout=timedelta(minutes=10),
        env=env,
        doc_md="""
**publish** — `olist publish`: atomically swaps the staged schemas in for the published ones (one
transaction: readers see the old warehouse or the new one, never a mix). Refuses on its own if the
gate has not passed, a second line of defence behind this DAG's dependency. Retried: it is short
and its failures are transient (lock held by another job).
""",
    )

    return migrate, ingest, transform, quality_gate, publish

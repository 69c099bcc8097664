"""Shared helpers for the olist DAGs: where the project is, how a task calls our CLI, and what an
exit code means to Airflow.

No business logic lives here (nor in the DAG files): every task is one ``node bin/olist.js <command>``
invocation, and everything about loading, checking and publishing data is the TypeScript CLI's job.
This module defines no DAG; .airflowignore keeps the DAG processor from parsing it as a DAG file,
and the DAG files import it (the DAGs folder is on sys.path).
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import Asset, BaseOperator, BaseSensorOperator
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSensorTimeout

from olist_alerting import alert_on_failure

#: Project root: OLIST_PROJECT_DIR when set (DAGs deployed away from the checkout), else two levels
#: above this file (<root>/airflow/dags/olist_common.py).
PROJECT_DIR = Path(os.environ.get("OLIST_PROJECT_DIR") or Path(__file__).resolve().parents[2]).resolve()

#: Node executable (OLIST_NODE to pin a specific one) and the CLI launcher, relative to PROJECT_DIR.
NODE = os.environ.get("OLIST_NODE", "node")
CLI = "bin/olist.js"

#: The published marts, as one Asset: every task that publishes declares it as an outlet, with what
#: it published (batch id, row counts) in the asset event's extra. Downstream DAGs schedule on it.
MARTS = Asset(name="olist_marts", uri="olist://warehouse/marts", group="olist")

#: Exit codes of the CLI (src/cli/main.ts) that mean "try again later": 75 = EX_TEMPFAIL (the
#: warehouse is busy: another job holds its lock or reservation, or the embedded server is starting),
#: 129/130/143 = the job was stopped by a signal (a worker shut down) and left nothing half-done.
#: Everything else (1: bad file, bad batch, failed gate, bad configuration...) is a verdict that the
#: same input would give again: the task fails at once, without retries.
RETRYABLE_EXIT_CODES = frozenset({75, 129, 130, 143})

#: Variables every task sets explicitly. Everything else (OLIST_DATA_DIR, OLIST_HOME, OLIST_PG_PORT,
#: DATABASE_URL, LOG_LEVEL, PATH...) is inherited from the worker's environment at run time: none
#: of them is read at DAG-parse time, so no connection string or password ends up in the serialized
#: DAG or in the UI's rendered templates.
TASK_ENV: dict[str, str] = {"NO_COLOR": "1"}

#: The run's business day for the CLI (freshness checks are judged against it): the run's logical
#: date, or, for a run triggered without one (possible in Airflow 3), the time it was queued for.
LOGICAL_DATE_ENV: dict[str, str] = {
    "OLIST_LOGICAL_DATE": "{{ (logical_date if logical_date is defined and logical_date"
    " else dag_run.run_after) | ds }}",
}

#: The reservation a multi-task job (full refresh, demo) holds on the warehouse from its first task
#: to its last: every CLI call of the run carries the same id, and any other job is refused with
#: exit 75 meanwhile (see `olist job reserve`). One id per DAG run.
JOB_ENV: dict[str, str] = {"OLIST_JOB_ID": "{{ dag_run.dag_id }}/{{ dag_run.run_id }}"}

#: Defaults for every task: retries only matter for exit 75 and signals (see RETRYABLE_EXIT_CODES);
#: the back-off grows from 30 s to 10 min, six tries over about 25 min: long enough to wait out a
#: full refresh of the real data (a few minutes) holding the warehouse, short enough to alert.
DEFAULT_ARGS = {
    "owner": "data-eng",
    "depends_on_past": False,
    "retries": 6,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
    "execution_timeout": timedelta(minutes=30),
    "on_failure_callback": alert_on_failure,
}

#: pino's numeric levels -> Python logging methods (the CLI logs JSON lines on stderr).
_PINO_LEVELS = {10: "debug", 20: "debug", 30: "info", 40: "warning", 50: "error", 60: "critical"}
#: The longest line a CLI log record or summary becomes in the task log.
_MAX_LINE = 2000


def olist_command(command: str, *args: str) -> str:
    """``node bin/olist.js <command> [args...] --json``.

    ``command`` may be two words (``db url``). ``args`` are inserted verbatim: they are written in our
    DAG files (never user input) and may use shell expansion (``"${OLIST_HOME:-.olist}/x"``) or Jinja
    (``{{ params.seed }}``) on purpose.
    """
    return " ".join([shlex.quote(NODE), CLI, command, *args, "--json"])


def exit_code_error(code: int, message: str) -> AirflowException:
    """The exception a CLI exit code becomes: retried (AirflowException) or failed at once."""
    if code in RETRYABLE_EXIT_CODES:
        return AirflowException(f"exit {code} (retried): {message}")
    return AirflowFailException(f"exit {code} (not retried): {message}")


def _digest(value: Any, depth: int = 0) -> Any:
    """A short view of a CLI summary: scalars kept, long lists cut, deep objects summarised."""
    if isinstance(value, dict):
        if depth >= 2:
            return f"{{{len(value)} keys}}"
        return {k: _digest(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        if depth >= 2 or len(value) > 5:
            return f"[{len(value)} items]"
        return [_digest(v, depth + 1) for v in value]
    return value


def _short(text: str) -> str:
    return text if len(text) <= _MAX_LINE else f"{text[:_MAX_LINE]}... ({len(text)} chars)"


class OlistCliOperator(BaseOperator):
    """Runs one CLI command (``bash -c``, from the project root) and translates what it says.

    - stderr: the CLI's JSON log lines are re-logged at their own level (a warning stays a warning),
      one compact line each; other lines (the final ``olist: <error>``) as errors.
    - stdout: the ``--json`` summary is parsed and logged as one short digest, not pages of JSON.
    - exit code: 0 succeeds; 75 and signals raise a retryable error; anything else fails the task
      without retries (AirflowFailException), with the CLI's own error message.
    - ``asset_extra``: for publishing tasks, turns the summary into the outlet event's extra.
    """

    template_fields = ("bash_command", "env")
    template_fields_renderers = {"bash_command": "bash", "env": "json"}
    ui_color = "#e8f0fe"

    def __init__(
        self,
        *,
        bash_command: str,
        env: dict[str, str] | None = None,
        cwd: str | None = None,
        asset_extra: Callable[[dict], dict] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.bash_command = bash_command
        self.env = env or {}
        self.cwd = cwd or str(PROJECT_DIR)
        self.asset_extra = asset_extra
        self._proc: subprocess.Popen[str] | None = None

    def _relog(self, line: str, errors: list[str]) -> None:
        line = line.rstrip("\n")
        if not line.strip():
            return
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if not isinstance(record, dict) or "level" not in record:
            if line.startswith("olist:"):  # the CLI's last word on a failure
                errors.append(line.removeprefix("olist:").strip())
                self.log.error("%s", _short(line))
            else:
                self.log.info("%s", _short(line))
            return
        level = _PINO_LEVELS.get(record.get("level"), "info")
        msg = record.get("msg", "")
        extra = {k: v for k, v in record.items() if k not in {"level", "time", "pid", "hostname", "app", "msg"}}
        if level in {"error", "critical"} and msg:
            errors.append(msg)
        getattr(self.log, level)("%s", _short(f"{msg} {json.dumps(extra, default=str)}" if extra else msg))

    def execute(self, context: Any) -> None:
        env = {**os.environ, **self.env}
        self.log.info("olist: %s (in %s)", self.bash_command, self.cwd)
        self._proc = proc = subprocess.Popen(
            ["bash", "-c", self.bash_command],
            cwd=self.cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group: on_kill stops node and its children
        )
        errors: list[str] = []
        stderr = threading.Thread(target=lambda: [self._relog(l, errors) for l in proc.stderr], daemon=True)
        stderr.start()
        try:
            stdout = proc.stdout.read()
            code = proc.wait()
        finally:
            if proc.poll() is None:
                self.on_kill()
        stderr.join(timeout=10)
        summary: dict = {}
        try:
            parsed = json.loads(stdout) if stdout.strip() else {}
            summary = parsed if isinstance(parsed, dict) else {"result": parsed}
        except ValueError:
            self.log.warning("stdout is not the --json summary: %s", _short(stdout))
        if summary:
            self.log.info("summary: %s", _short(json.dumps(_digest(summary), default=str)))
        if code != 0:
            message = summary.get("error") or (errors[-1] if errors else f"`{self.bash_command}` failed")
            raise exit_code_error(code, str(message))
        if self.asset_extra is not None:
            extra = self.asset_extra(summary)
            for outlet in self.outlets:
                context["outlet_events"][outlet].extra = extra
            self.log.info("asset event extra: %s", _short(json.dumps(extra, default=str)))

    def on_kill(self) -> None:
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        # The CLI stops cleanly on SIGTERM (nothing half-published); give it time, then insist.
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=45)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def olist_task(
    task_id: str,
    command: str,
    *args: str,
    doc_md: str,
    timeout: timedelta = timedelta(minutes=30),
    env: dict[str, str] | None = None,
    **kwargs: Any,
) -> OlistCliOperator:
    """One pipeline step: the CLI command run from the project root (see OlistCliOperator)."""
    return OlistCliOperator(
        task_id=task_id,
        bash_command=olist_command(command, *args),
        cwd=str(PROJECT_DIR),
        env={**TASK_ENV, **(env or {})},
        execution_timeout=timeout,
        doc_md=doc_md,
        **kwargs,
    )


def publish_extra(summary: dict) -> dict:
    """Asset extra of a full publish: the run and the published marts' row counts."""
    rows = summary.get("rows") or {}
    return {
        "run_id": summary.get("runId"),
        "layers": summary.get("layers"),
        "rows": {k: v for k, v in rows.items() if k.startswith("marts.")},
    }


def batch_extra(summary: dict) -> dict:
    """Asset extra of a feed batch: which batches this run applied, and their row counts."""
    applied = summary.get("applied") or []
    return {
        "run_id": summary.get("runId"),
        "batches": [b.get("batchId") for b in applied],
        "already_applied": summary.get("alreadyApplied") or [],
        "rows": {
            b.get("batchId"): {k: b.get(k) for k in ("rowsRead", "rowsLoaded", "rowsRejected", "rowsParked", "rowsStale")}
            for b in applied
        },
    }


def landing_dir() -> Path:
    """Where the feed's batches land, resolved as the CLI does (src/config.ts): OLIST_LANDING_DIR,
    else OLIST_HOME/landing, relative paths from the project root. Read at run time, on the worker."""
    explicit = os.environ.get("OLIST_LANDING_DIR")
    base = Path(explicit) if explicit else Path(os.environ.get("OLIST_HOME") or ".olist") / "landing"
    return base if base.is_absolute() else PROJECT_DIR / base


class BatchManifestSensor(BaseSensorOperator):
    """Waits for a feed batch: done when ``<landing dir>/<batch id>/manifest.json`` exists (the feed
    writes the manifest last, so its presence means the batch is complete). Use mode="reschedule"
    so a waiting day holds no worker slot. On timeout, says which batch never came and where."""

    template_fields = ("batch_id",)

    def __init__(self, *, batch_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.batch_id = batch_id

    def manifest(self) -> Path:
        return landing_dir() / self.batch_id / "manifest.json"

    def poke(self, context: Any) -> bool:
        path = self.manifest()
        if path.is_file():
            self.log.info("batch %s has arrived: %s", self.batch_id, path)
            return True
        self.log.info("batch %s not there yet (no %s)", self.batch_id, path)
        return False

    def execute(self, context: Any) -> Any:
        try:
            return super().execute(context)
        except AirflowSensorTimeout as e:
            raise AirflowSensorTimeout(
                f"batch {self.batch_id} never arrived: no {self.manifest()} after {timedelta(seconds=self.timeout)}. "
                "The feed's delivery is late or broken: check the landing directory, then clear this task to wait again."
            ) from e


def full_load_tasks(*ingest_args: str, logical_date: bool = True, reservation: timedelta = timedelta(hours=4)):
    """A full load as tasks, not yet wired (the DAG file states the graph): reserve_warehouse,
    migrate, ingest, transform, quality_gate, publish, release_warehouse.

    Every step runs under the run's reservation (JOB_ENV), so no other job (the daily feed, the
    other full-load DAG, a person's `olist run`) can write the warehouse between two steps of this
    run; ``release_warehouse`` is a teardown: it runs even when a step failed. ``ingest_args`` e.g.
    ``"--data-dir", DIR``. ``logical_date``: pass the run's date as OLIST_LOGICAL_DATE (else the CLI
    judges freshness against the newest purchase in the data). Call inside a ``with DAG(...)`` block.
    """
    env = {**JOB_ENV, **(LOGICAL_DATE_ENV if logical_date else {})}
    reserve = olist_task(
        "reserve_warehouse",
        "job",
        "reserve",
        "--ttl-minutes",
        str(int(reservation.total_seconds() // 60)),
        timeout=timedelta(minutes=5),
        env=JOB_ENV,
        doc_md="""
**reserve_warehouse** — `olist job reserve`: reserves the warehouse for this DAG run (id
`<dag_id>/<run_id>`) until `release_warehouse`, or at most the TTL. Another job's reservation or
lock makes it exit 75, retried with back-off: the run waits its turn instead of interleaving.
""",
    )
    migrate = olist_task(
        "migrate",
        "migrate",
        timeout=timedelta(minutes=10),
        env=env,
        doc_md="""
**migrate** — `olist migrate`: applies pending schema migrations (idempotent; a no-op when the
database is current). Starts the embedded PostgreSQL under `OLIST_HOME` when `DATABASE_URL` is unset.
""",
    )
    ingest = olist_task(
        "ingest",
        "ingest",
        *ingest_args,
        timeout=timedelta(minutes=60),
        env=env,
        doc_md="""
**ingest** — `olist ingest`: stream-validates the nine CSVs of `OLIST_DATA_DIR` and COPYs them
into the staged raw layer (`raw_build`), reporting per-file row counts. A bad file fails the task
at once (exit 1, not retried), naming file, line and column.
""",
    )
    transform = olist_task(
        "transform",
        "transform",
        timeout=timedelta(minutes=60),
        env=env,
        doc_md="""
**transform** — `olist transform`: builds the SQL models (staging, star schema, marts) from the
staged raw layer into the staged build schemas. Nothing published changes.
""",
    )
    quality_gate = olist_task(
        "quality_gate",
        "check",
        "--staged",
        timeout=timedelta(minutes=30),
        env=env,
        doc_md="""
**quality_gate** — `olist check --staged`: runs the data-quality checks against the staged build
and records the verdict for it. Exit 1 when an error-level check fails: the task fails at once (a
verdict on the data is not retried) and `publish` never runs. Freshness is judged against
`OLIST_LOGICAL_DATE`, the run's logical date.
""",
    )
    publish = olist_task(
        "publish",
        "publish",
        timeout=timedelta(minutes=10),
        env=env,
        outlets=[MARTS],
        asset_extra=publish_extra,
        doc_md="""
**publish** — `olist publish`: atomically swaps the staged schemas in for the published ones. It
does not run the checks again: it trusts the passing verdict `quality_gate` recorded for this very
staged build (and refuses, or gates itself, when there is none). Emits the `olist_marts` asset
event with the marts' row counts.
""",
    )
    release = olist_task(
        "release_warehouse",
        "job",
        "release",
        timeout=timedelta(minutes=5),
        env=JOB_ENV,
        doc_md="""
**release_warehouse** — `olist job release`: ends this run's reservation. A teardown task: it runs
whatever happened to the steps before it, so a failed run does not keep the warehouse reserved.
""",
    )
    return reserve, migrate, ingest, transform, quality_gate, publish, release


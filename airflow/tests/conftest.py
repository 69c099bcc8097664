"""Test setup for the Airflow DAGs.

Airflow reads its configuration when it is first imported, so the environment is set here, at
conftest import time (before any test module imports airflow): a throwaway AIRFLOW_HOME with a
SQLite metadata database, no example DAGs, and our DAGs folder.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
DAGS_DIR = PROJECT_DIR / "airflow" / "dags"
CLI = PROJECT_DIR / "bin" / "olist.js"

_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="olist-airflow-home-"))
atexit.register(shutil.rmtree, _AIRFLOW_HOME, ignore_errors=True)

os.environ.update(
    {
        "AIRFLOW_HOME": str(_AIRFLOW_HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_AIRFLOW_HOME / 'airflow.db'}",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        # The DAGs must not depend on where the tests run from.
        "OLIST_PROJECT_DIR": str(PROJECT_DIR),
    }
)
# In a deployment the DAG bundle puts the DAGs folder on sys.path (that is how the DAG files import
# olist_common); a plain DagBag in a test process does not, so do it here.
if str(DAGS_DIR) not in sys.path:
    sys.path.insert(0, str(DAGS_DIR))


def _cli_missing_reason() -> str | None:
    if shutil.which("node") is None:
        return "node is not on PATH"
    if not (PROJECT_DIR / "node_modules").is_dir():
        return "node_modules is missing (run npm ci)"
    if not CLI.is_file():
        return "bin/olist.js is missing"
    return None


CLI_MISSING = _cli_missing_reason()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "cli: needs the TypeScript CLI (node, node_modules, bin/olist.js)")
    config.addinivalue_line("markers", "e2e: runs a DAG for real against the embedded PostgreSQL")
    # Deprecations inside Airflow's own dependencies (pinned versions), not in our code.
    config.addinivalue_line("filterwarnings", "ignore:GitWildMatchPattern:DeprecationWarning")
    config.addinivalue_line("filterwarnings", "ignore:Using `httpx` with `starlette.testclient`")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CLI_MISSING is None:
        return
    skip = pytest.mark.skip(reason=f"CLI not available: {CLI_MISSING}")
    for item in items:
        if "cli" in item.keywords or "e2e" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """`airflow db migrate` against the SQLite database in the throwaway AIRFLOW_HOME (dag.test needs it)."""
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return _AIRFLOW_HOME


@pytest.fixture(scope="session")
def dagbag():
    try:
        from airflow.dag_processing.dagbag import DagBag  # Airflow >= 3.1
    except ImportError:  # pragma: no cover - older Airflow 3
        from airflow.models.dagbag import DagBag
    return DagBag(dag_folder=str(DAGS_DIR))


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Runs ``node bin/olist.js ARGS`` from the project root and returns the completed process."""
    return subprocess.run(
        ["node", str(CLI), *args],
        cwd=PROJECT_DIR,
        env=env if env is not None else os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def cli_json(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> dict:
    """Runs a CLI command with --json, fails the test on a non-zero exit, returns the parsed document."""
    proc = run_cli(*args, "--json", env=env, timeout=timeout)
    assert proc.returncode == 0, f"olist {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-4000:]}"
    return json.loads(proc.stdout)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

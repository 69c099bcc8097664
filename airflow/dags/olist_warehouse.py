"""Daily load of the Olist warehouse: migrate -> ingest -> transform -> quality_gate -> publish.

Thin DAG: each task runs one step of our TypeScript CLI (``node bin/olist.js <step> --json``); see
olist_common.py and docs/airflow.md.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG

from olist_common import DEFAULT_ARGS, pipeline_tasks

with DAG(
    dag_id="olist_warehouse",
    description="Olist CSVs -> staged raw layer -> models -> quality gate -> atomic publish",
    schedule="@daily",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    # The steps share one staged build (raw_build and the staged model schemas): two runs at once
    # would overwrite each other's staged data, so runs are strictly serial.
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=4),
    default_args=DEFAULT_ARGS,
    tags=["olist", "warehouse"],
    doc_md="""
### olist_warehouse

Rebuilds the warehouse from the nine Olist CSVs in `OLIST_DATA_DIR` and publishes it only when the
quality gate passes. Every task is one `node bin/olist.js <step> --json` run from the project root;
the logic lives in the CLI, not here.

Everything is built into **staged** schemas first; the published schemas (what the API, the
dashboard and analysts read) change only in the final `publish` swap. A failed run at any step
leaves yesterday's published warehouse untouched.

Configuration comes from the worker's environment (`OLIST_DATA_DIR`, `OLIST_HOME`,
`DATABASE_URL`, `LOG_LEVEL`...), inherited by each task.
""",
) as dag:
    migrate, ingest, transform, quality_gate, publish = pipeline_tasks()

    migrate >> ingest >> transform >> quality_gate >> publish

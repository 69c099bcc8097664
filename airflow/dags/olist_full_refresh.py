"""Manual full refresh of the Olist warehouse: reserve -> migrate -> ingest -> transform ->
quality_gate -> publish -> release (teardown).

Thin DAG: each task runs one step of our TypeScript CLI (``node bin/olist.js <step> --json``); see
olist_common.py and docs/airflow.md. The daily feed is olist_daily; this DAG rebuilds everything
from the nine files of OLIST_DATA_DIR, on demand (first load, after a correction of the files, or
to prove the feed's warehouse against the files).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG

from olist_common import DEFAULT_ARGS, full_load_tasks

with DAG(
    dag_id="olist_full_refresh",
    description="Olist CSVs -> staged raw layer -> models -> quality gate (once) -> atomic publish; manual",
    schedule=None,  # manual trigger only: the daily changes come through olist_daily
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    # The steps share one staged build (raw_build and the staged model schemas): runs are strictly
    # serial, and the warehouse reservation keeps every other job out between the steps.
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=4),
    default_args=DEFAULT_ARGS,
    tags=["olist", "warehouse"],
    doc_md="""
### olist_full_refresh

Manual. Rebuilds the warehouse from the nine Olist CSVs in `OLIST_DATA_DIR` and publishes it only
when the quality gate passes. Every task is one `node bin/olist.js <step> --json` run from the
project root; the logic lives in the CLI, not here.

Everything is built into **staged** schemas first; the published schemas change only in the final
`publish` swap, which trusts the gate's recorded verdict for this staged build (the checks run
once). A failed run at any step leaves the published warehouse untouched. The run holds a
reservation of the warehouse from `reserve_warehouse` to `release_warehouse` (a teardown), so the
daily feed and the demo DAG wait (exit 75, retried) instead of interleaving with it.

Configuration comes from the worker's environment (`OLIST_DATA_DIR`, `OLIST_HOME`,
`DATABASE_URL`, `LOG_LEVEL`...), inherited by each task.
""",
) as dag:
    reserve, migrate, ingest, transform, quality_gate, publish, release = full_load_tasks()

    reserve >> migrate >> ingest >> transform >> quality_gate >> publish >> release.as_teardown(setups=reserve)

"""Downstream of the published marts: writes the quality report whenever they change.

Scheduled on the ``olist_marts`` Asset (olist_common.MARTS), which olist_daily.apply_batch and the
full-load DAGs' publish tasks update: the pattern for any consumer (a BI refresh, an export).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG

from olist_common import DEFAULT_ARGS, MARTS, olist_task

with DAG(
    dag_id="olist_quality_report",
    description="Write the quality report (HTML + JSON) each time the marts are published",
    schedule=[MARTS],
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=1),
    default_args=DEFAULT_ARGS,
    tags=["olist", "report"],
    doc_md="""
### olist_quality_report

Runs after every `olist_marts` asset event (a feed batch applied, a full refresh published).
`olist report` writes the quality report of the last checked run to `$OLIST_HOME/reports/`. The
triggering event's extra (batch ids, row counts) is shown on the run's asset events in the UI.
""",
) as dag:
    olist_task(
        "report",
        "report",
        timeout=timedelta(minutes=10),
        doc_md="""
**report** — `olist report`: the self-contained HTML quality report and its JSON twin of the last
checked run (a feed batch's gate, or a full load's), in `$OLIST_HOME/reports/`. Read-only.
""",
    )

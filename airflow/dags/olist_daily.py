"""The daily feed: one run per business day, waiting for that day's batch and applying exactly it.

Thin DAG: the sensor only looks for the batch's manifest file; applying, gating and publishing the
batch is one CLI call (``olist run --incremental --batch <day>``, see docs/incremental.md).
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.sdk import DAG, CronDataIntervalTimetable

from olist_common import DEFAULT_ARGS, MARTS, BatchManifestSensor, batch_extra, olist_task

#: The shop's time zone: a batch is a local business day (the Olist timestamps are Brazilian local time).
TZ = "America/Sao_Paulo"
#: First day of the feed (the Kaggle data's first purchase) and, for a feed that has ended (a
#: simulated one), its last day. Read at parse time: they are plain dates, never secrets.
FEED_START = pendulum.parse(os.environ.get("OLIST_FEED_START_DATE", "2016-09-04"), tz=TZ)
FEED_END = pendulum.parse(os.environ["OLIST_FEED_END_DATE"], tz=TZ) if os.environ.get("OLIST_FEED_END_DATE") else None
#: catchup: when unpaused, create a run for every day since FEED_START not run yet (a fresh warehouse
#: fed from day one). Off by default: history is loaded with `airflow backfill create` (docs/airflow.md).
CATCHUP = os.environ.get("OLIST_DAILY_CATCHUP", "false").lower() in {"1", "true", "yes"}

#: The batch a run stands for: the local date its data interval starts (interval = that whole day).
BATCH_ID = "{{ data_interval_start.in_timezone('America/Sao_Paulo').strftime('%Y-%m-%d') }}"

with DAG(
    dag_id="olist_daily",
    description="Wait for the day's feed batch, apply exactly that batch in place (gated), publish the marts",
    # Each run covers one local day [00:00, 24:00) America/Sao_Paulo and starts when the day is over.
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone=TZ),
    start_date=FEED_START,
    end_date=FEED_END,
    catchup=CATCHUP,
    # Batches are applied in feed order: one day at a time, and a day only after the one before it.
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=24),
    default_args={**DEFAULT_ARGS, "depends_on_past": True},
    tags=["olist", "feed"],
    doc_md="""
### olist_daily

One run per business day of the feed, on a `CronDataIntervalTimetable` in America/Sao_Paulo: the
run for day D has the data interval D 00:00 .. D+1 00:00 local time, starts when D is over, and
stands for the feed batch `D` (`OLIST_LANDING_DIR/D/manifest.json`).

1. `wait_for_batch` waits (reschedule mode: no worker slot held) for the batch's manifest, up to 12 h,
   then fails with a message naming the batch and the path.
2. `apply_batch` runs `olist run --incremental --batch reference --batch D`: validates the batch,
   merges it, updates the models in place, gates it and commits it in one transaction, recorded in
   the ledger (`audit.feed_batches`). The reference batch is applied with the first day and is a
   no-op after that. Rerunning a day is a no-op; a refused batch changes nothing and can be cleared
   and rerun once fixed. Emits the `olist_marts` asset event with the batch ids and row counts.

Days run one at a time and in order (`max_active_runs=1`, `depends_on_past`), as the ledger
requires. Load history with `airflow backfill create --dag-id olist_daily ...` (docs/airflow.md).
""",
) as dag:
    wait_for_batch = BatchManifestSensor(
        task_id="wait_for_batch",
        batch_id=BATCH_ID,
        mode="reschedule",
        poke_interval=timedelta(minutes=5),
        timeout=timedelta(hours=12),
        execution_timeout=timedelta(minutes=5),
        retries=0,  # the sensor's own timeout is the verdict
        depends_on_past=False,
        doc_md="""
**wait_for_batch** — done when `OLIST_LANDING_DIR/<day>/manifest.json` exists (the feed writes it
last, so the batch is complete). Pokes every 5 min in reschedule mode; after 12 h fails with
"batch <day> never arrived" and alerts.
""",
    )
    apply_batch = olist_task(
        "apply_batch",
        "run",
        "--incremental",
        "--batch", "reference",
        "--batch", BATCH_ID,
        timeout=timedelta(minutes=30),
        outlets=[MARTS],
        asset_extra=batch_extra,
        doc_md="""
**apply_batch** — `olist run --incremental --batch reference --batch <day>`: applies exactly the
day's batch (and, once, the reference batch before the first day) in one gated transaction.
Exit 75 (warehouse busy: another job's lock or reservation) is retried with back-off; a bad batch
(checksum, truncated file, refused by the gate, missing previous day) fails at once and alerts.
""",
    )

    wait_for_batch >> apply_batch

"""Manual demo: generate a synthetic Olist-format dataset, then run the whole pipeline on it.

Thin DAG: every task is one ``node bin/olist.js <command> --json`` (see olist_common.py).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG, Param

from olist_common import DEFAULT_ARGS, full_load_tasks, olist_task

#: Where the dataset goes: under OLIST_HOME (as the CLI resolves it, relative to the project root),
#: one directory per scale/seed. Expanded by bash at run time; the Jinja parts by Airflow.
DEMO_DIR = '"${OLIST_HOME:-.olist}/demo-data/scale-{{ params.scale }}-seed-{{ params.seed }}"'

with DAG(
    dag_id="olist_generate_demo",
    description="Generate a synthetic Olist dataset, then migrate/ingest/transform/gate/publish it",
    schedule=None,  # manual trigger only
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=4),
    default_args=DEFAULT_ARGS,
    params={
        "scale": Param(0.05, type="number", exclusiveMinimum=0, maximum=1000,
                       description="Dataset size relative to the real Olist data (1 = ~100k orders)"),
        "seed": Param(42, type="integer", minimum=0, description="Generator seed (same seed, same data)"),
    },
    tags=["olist", "demo"],
    doc_md="""
### olist_generate_demo

Manual trigger only. Generates a synthetic dataset in the Olist CSV format
(`olist generate --scale S --seed N`) under `$OLIST_HOME/demo-data/`, then runs the same five steps
as `olist_full_refresh` on it, **publishing it** into the warehouse configured by the environment.
Use it on a throwaway `OLIST_HOME`/`DATABASE_URL`, not next to a warehouse holding real data. It
reserves the warehouse like `olist_full_refresh`, so the two (and the daily feed) never interleave.
""",
) as dag:
    generate = olist_task(
        "generate",
        "generate",
        "--scale", "{{ params.scale }}",
        "--seed", "{{ params.seed }}",
        "--out", DEMO_DIR,
        timeout=timedelta(minutes=60),
        doc_md="""
**generate** — `olist generate --scale S --seed N --out DIR`: writes the nine Olist CSVs, synthetic
but statistically shaped like the real files, into `$OLIST_HOME/demo-data/scale-S-seed-N`.
Deterministic for a given scale and seed.
""",
    )
    # No OLIST_LOGICAL_DATE: synthetic purchases are dated like the real ones (2016-2018), so freshness
    # is judged against the newest purchase in the data, the CLI's default.
    reserve, migrate, ingest, transform, quality_gate, publish, release = full_load_tasks(
        "--data-dir", DEMO_DIR, logical_date=False
    )

    generate >> reserve >> migrate >> ingest >> transform >> quality_gate >> publish >> release.as_teardown(setups=reserve)

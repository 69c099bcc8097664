"""The common Python stack's way of loading the nine Olist CSVs into PostgreSQL, as a baseline.

For each file: ``pandas.read_csv`` (default C parser, type inference) and
``DataFrame.to_sql(if_exists='replace', index=False, chunksize=10000)`` through a SQLAlchemy
engine on psycopg2 -- the textbook recipe. ``--method multi`` uses pandas' multi-row INSERT
instead of the default (SQLAlchemy 2's executemany, which psycopg2 batches as multi-VALUES
"insertmanyvalues"). No validation, no transforms: the same work as the COPY floor, not our run.

Prints one JSON document on stdout: total seconds, per-file read/write seconds and rows, and the
process's peak RSS. Usage:

    .venv/bin/python bench/pandasBaseline.py --url postgresql://... --files a.csv b.csv ...
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True, help="postgres:// URL of the target database")
    ap.add_argument("--files", nargs="+", required=True, help="CSV files to load")
    ap.add_argument("--schema", default="bench_pandas")
    ap.add_argument("--chunksize", type=int, default=10_000)
    ap.add_argument("--method", choices=["default", "multi"], default="default")
    args = ap.parse_args()

    import pandas as pd
    import sqlalchemy as sa

    url = args.url.replace("postgres://", "postgresql+psycopg2://", 1).replace(
        "postgresql://", "postgresql+psycopg2://", 1
    )
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f'drop schema if exists "{args.schema}" cascade'))
        conn.execute(sa.text(f'create schema "{args.schema}"'))

    files = []
    started = time.perf_counter()
    try:
        for path in args.files:
            name = os.path.splitext(os.path.basename(path))[0]
            table = name.removeprefix("olist_").removesuffix("_dataset")
            t0 = time.perf_counter()
            df = pd.read_csv(path)
            t1 = time.perf_counter()
            df.to_sql(
                table,
                engine,
                schema=args.schema,
                if_exists="replace",
                index=False,
                chunksize=args.chunksize,
                method=None if args.method == "default" else "multi",
            )
            t2 = time.perf_counter()
            files.append(
                {
                    "file": os.path.basename(path),
                    "rows": int(len(df)),
                    "read_s": round(t1 - t0, 3),
                    "write_s": round(t2 - t1, 3),
                }
            )
            print(f"pandas: {os.path.basename(path)} {len(df)} rows in {t2 - t0:.1f} s", file=sys.stderr, flush=True)
            del df
        seconds = time.perf_counter() - started
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'drop schema if exists "{args.schema}" cascade'))
        engine.dispose()

    # ru_maxrss is in KiB on Linux.
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    json.dump(
        {
            "seconds": round(seconds, 3),
            "rows": sum(f["rows"] for f in files),
            "files": files,
            "peak_rss_mb": round(peak_mb),
            "method": args.method,
            "chunksize": args.chunksize,
            "versions": {"python": sys.version.split()[0], "pandas": pd.__version__, "sqlalchemy": sa.__version__},
        },
        sys.stdout,
    )
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())

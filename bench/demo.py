"""Wall time of `ig-pipeline demo --once` from a fresh data directory (issue 8; install excluded).

    .venv/bin/python bench/demo.py [--accounts 25] [--days 30]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import emit, free_port  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=25)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="ig_demo_bench_"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IG_", "DAGSTER_"))} | {
        "IG_DATA_DIR": str(data_dir)}
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "ig_pipeline.cli", "demo", "--once", "--accounts", str(args.accounts),
         "--days", str(args.days), "--simulator-port", str(free_port()), "--oauth-port", str(free_port())],
        env=env, capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - started
    summary = [line for line in result.stdout.splitlines() if line.startswith("  ") or line.startswith("[demo] done")]
    print("\n".join(summary))
    if result.returncode != 0:
        print(result.stderr[-3000:], file=sys.stderr)
    emit({"demo_once_wall_s": round(wall, 1), "accounts": args.accounts, "days": args.days,
          "exit_code": result.returncode})


if __name__ == "__main__":
    main()

"""A standalone job worker for the crash tests, run as a real process and killed by them.

Usage: python worker_process.py DATA_DIR REDIS_URL|- QUEUE_NAME
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from stockhouse.config import load_settings
from stockhouse.jobs.queue import JobQueue
from stockhouse.runtime import Runtime

sys.path.insert(0, str(Path(__file__).parent))
from jobs_support import FAST


def main(data_dir: str, redis_url: str, queue_name: str) -> None:
    """Run one worker thread until SIGTERM/SIGINT (or SIGKILL, which is the point)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    flags = {
        "data_dir": data_dir,
        "database_url": f"sqlite:///{Path(data_dir) / 'stockhouse.db'}",
        "redis_url": None if redis_url == "-" else redis_url,
    }
    runtime = Runtime(load_settings(flags, environ={}))
    try:
        JobQueue(runtime, queue_name, **FAST).run_worker(1)
    finally:
        runtime.close()


if __name__ == "__main__":
    main(*sys.argv[1:4])

"""A desk process for the kill tests: runs sync cycles with tiny batches (many transactions) until killed."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import reception.sync.desk as engine
from reception.bootstrap import open_data_dir
from reception.sync.desk import pull, push
from tests.sync.harness import fast_client


def main() -> int:
    data_dir = Path(sys.argv[1])
    push.PUSH_BATCH = int(os.environ.get("WORKER_PUSH_BATCH", "7"))
    pull.PULL_BATCH = int(os.environ.get("WORKER_PULL_BATCH", "13"))
    ctx = open_data_dir(data_dir)
    store, apply = push._store_results, pull._apply_batch

    def stored(*args, **kwargs):  # type: ignore[no-untyped-def]
        store(*args, **kwargs)
        print("pushed-batch", flush=True)  # (the test kills at a random moment after the k-th line)

    def applied(*args, **kwargs):  # type: ignore[no-untyped-def]
        print("pulling-batch", flush=True)
        apply(*args, **kwargs)

    push._store_results = stored  # type: ignore[assignment]
    pull._apply_batch = applied  # type: ignore[assignment]
    print("ready", flush=True)
    while True:
        report = engine.sync_once(ctx, client_factory=fast_client)
        print(f"cycle pushed={report.pushed} pulled={report.pulled} error={report.error}", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())

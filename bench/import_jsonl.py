"""Import speed and memory of the twarc2 JSONL importer on the demo collection:
`python bench/import_jsonl.py [POSTS]`. Prints posts per second and peak resident memory."""

import logging
import resource
import sys
import tempfile
import time
from pathlib import Path

from engagement.collection.jsonl import import_files
from engagement.demo import write_collection
from engagement.rules.sync import sync_event
from engagement.storage import db


def main() -> None:
    logging.basicConfig(level=logging.ERROR)  # the demo's API errors are expected; keep the figures readable
    posts = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as folder:
        path, _ = write_collection(Path(folder) / "bench.jsonl", posts=posts)
        url = f"sqlite:///{folder}/bench.db"
        with db.writing(url) as session:
            sync_event(session)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        summary = import_files([path], url=url, progress=False)
        elapsed = time.perf_counter() - started
        again_started = time.perf_counter()
        again = import_files([path], url=url, progress=False)
        again_elapsed = time.perf_counter() - again_started
        size = Path(folder, "bench.db").stat().st_size
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    reader = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the import's reading process
    print(f"posts                 {posts:,} ({summary.store.posts_new:,} new, {summary.rejected} rejected)")
    print(f"first import          {elapsed:.1f} s  ({posts / elapsed:,.0f} posts/s)")
    print(f"second import         {again_elapsed:.1f} s  ({again.store.duplicates:,} duplicates, nothing written)")
    print(f"database              {size / 1e6:,.1f} MB")
    print(
        f"peak memory (RSS)     {peak:,.0f} MB (before the import: {before:,.0f} MB), "
        f"its reading process {reader:,.0f} MB"
    )


if __name__ == "__main__":
    main()

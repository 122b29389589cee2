"""How fast the demo generator writes, and how much memory it holds: `python bench/demo_generation.py [POSTS]`.

Prints posts per second and peak resident memory; the benchmarks of later work ask for 1,000,000 posts.
"""

import logging
import resource
import sys
import tempfile
import time
from pathlib import Path

from engagement.demo import DemoCollection, write_collection


def main() -> None:
    logging.basicConfig(level=logging.ERROR)  # the demo's API errors are expected; keep the figures readable
    posts = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    started = time.perf_counter()
    collection = DemoCollection(posts, seed=18)
    planned = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        path, _ = write_collection(Path(folder) / "bench.jsonl", collection=collection)
        size = path.stat().st_size
    done = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"posts              {posts:,}")
    print(f"authors            {len(collection.authors):,}")
    print(f"plan               {planned - started:.1f} s")
    print(f"write              {done - planned:.1f} s  ({posts / (done - planned):,.0f} posts/s)")
    print(f"file               {size / 1e6:,.1f} MB")
    print(f"peak memory (RSS)  {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()

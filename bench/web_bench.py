"""Web load: p50/p95 of ``/api/search`` under 20 concurrent clients on loopback, against
``bantin serve`` on the demo archive and on the synthetic scale archive (100,000 pages,
one issue in ten internal), as anonymous visitors (internal issues left out of every
search) and as signed-in readers (a session cookie, looked up on every request); and
what one login costs in CPU time (argon2).

Bounded: each client sends a fixed number of requests, one at a time, on one keep-alive
connection; the whole run stops after its requests or its time limit, whichever is first.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from bantin.accounts import Accounts
from bantin.ingesting import index_hooks
from bantin.samples import write_demo_scans
from bantin.state import State
from bench.corpus import ATTRIBUTION
from bench.scale_bench import build_archive, queries
from index import IngestIndexer, reindex
from pipeline import ingest

CLIENTS = 20
REQUESTS_PER_CLIENT = 30
TIME_LIMIT_S = 300.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(archive: Path, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    bantin = str(Path(sys.executable).parent / "bantin")
    process = subprocess.Popen(
        [bantin, "serve", "--archive", str(archive), "--port", str(port), "--workers", str(workers)],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process, port
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("web bench: the server did not start")


def load(port: int, asked: list[str],
         headers: dict[str, str] | None = None) -> tuple[list[float], int, float]:
    """Latencies (ms) of every answered request, the error count, and the wall time."""
    times: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + TIME_LIMIT_S

    def client(k: int) -> None:
        nonlocal errors
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for i in range(REQUESTS_PER_CLIENT):
            if time.monotonic() > stop_at:
                break
            query = asked[(k * REQUESTS_PER_CLIENT + i) % len(asked)]
            path = "/api/search?" + urllib.parse.urlencode({"q": query, "limit": 10})
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers or {})
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                ok = False
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if ok:
                    times.append(elapsed)
                else:
                    errors += 1
        connection.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times, errors, time.perf_counter() - started


def measure(name: str, archive: Path, asked: list[str], workers: int) -> None:
    """Signed in and anonymous, one after the other on the same server, after a warm-up
    round of every query (the first round after a start runs slower: page cache)."""
    cookie = {"Cookie": f"bantin_session={reader_session(archive)}"}
    process, port = serve(archive, workers)
    p95 = {}
    try:
        load(port, asked)  # warm-up: index files into the page cache
        for who, headers in (("signed in", cookie), ("anonymous", None)):
            times, errors, wall = load(port, asked, headers)
            cuts = statistics.quantiles(times, n=20) if len(times) > 1 else [0.0] * 19
            p95[who] = cuts[18]
            print(f"  {name}, --workers {workers}, {who}: {len(times)} requests, {errors} errors, "
                  f"p50 {statistics.median(times):.0f} ms, p95 {cuts[18]:.0f} ms, "
                  f"{len(times) / wall:.0f} requests/s (goal p95 <= 300 ms at 100,000 pages, no error)")
    finally:
        process.terminate()
        process.wait(timeout=30)
    print(f"  {name}, --workers {workers}: p95 signed in / anonymous = "
          f"{p95['signed in'] / max(p95['anonymous'], 1e-9):.2f}")


def reader_session(archive: Path) -> str:
    """A reader's browser session in the archive's state, as a login leaves it."""
    accounts = Accounts.of(State.open(archive))
    if "bench-reader" not in {a.name for a in accounts.accounts()}:
        accounts.add("bench-reader", "reader", "bench-password")
    return accounts.start_session(accounts.user("bench-reader"))


def login_cost(archive: Path, rounds: int = 5) -> None:
    """CPU seconds (every thread of this process) and wall time of one password check."""
    accounts = Accounts.of(State.open(archive))
    reader_session(archive)
    cpu, wall = [], []
    for k in range(rounds):
        started_cpu, started = time.process_time(), time.perf_counter()
        assert accounts.login("bench-reader", "bench-password", f"10.0.0.{k}") is not None
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started)
    print(f"  one login (argon2id, pwdlib defaults): {statistics.median(cpu):.3f} s CPU, "
          f"{statistics.median(wall):.3f} s wall (median of {rounds}; goal < 0.5 s of one core)")


def main(pages: int = 100_000, seed: int = 11) -> None:
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="bantin-bench-web-"))
    print(f"web benchmark: /api/search, {CLIENTS} concurrent clients x {REQUESTS_PER_CLIENT} requests "
          f"on loopback ({ATTRIBUTION})")
    demo = work / "demo-archive"
    indexer = IngestIndexer(demo)
    ingest(write_demo_scans(work / "demo-scans"), demo, hooks=index_hooks(indexer))
    asked = queries(CLIENTS * REQUESTS_PER_CLIENT, rng)
    login_cost(demo)
    for workers in (1, 2):
        measure("demo archive (4 issues)", demo, asked, workers)
    # $BANTIN_BENCH_SCALE_ARCHIVE: a scale archive an earlier run built (20 minutes saved)
    scale = Path(os.environ.get("BANTIN_BENCH_SCALE_ARCHIVE") or work / "scale-archive")
    if not (scale / "archive.json").is_file():
        build_archive(scale, pages, rng)
        reindex(scale, "tantivy")
    for workers in (1, 2):
        measure(f"scale archive ({pages:,} pages)", scale, asked, workers)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=100_000)
    main(parser.parse_args().pages)

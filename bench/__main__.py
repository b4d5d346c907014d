"""python -m bench [ingest|ocr|cluster|memory|quality|scale|web|articles|workbench|all]: figures are printed;
see README."""

from __future__ import annotations

import sys
from collections.abc import Callable

from bench import (
    articles_bench,
    cluster_bench,
    ingest_bench,
    memory_bench,
    ocr_bench,
    quality_bench,
    scale_bench,
    web_bench,
    workbench_bench,
)

BENCHMARKS: dict[str, Callable[[], object]] = {
    "ingest": ingest_bench.main,
    "ocr": ocr_bench.main,
    "cluster": cluster_bench.main,
    "memory": memory_bench.main,
    "quality": quality_bench.main,
    "scale": scale_bench.main,
    "web": web_bench.main,
    "articles": articles_bench.main,
    "workbench": workbench_bench.main,
}


def main(argv: list[str]) -> None:
    which = argv[0] if argv else "all"
    if which != "all" and which not in BENCHMARKS:
        raise SystemExit(f"usage: python -m bench [{'|'.join(BENCHMARKS)}|all]")
    for name, run in BENCHMARKS.items():
        if which in (name, "all"):
            run()


if __name__ == "__main__":
    main(sys.argv[1:])

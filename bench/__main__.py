"""python -m bench [ingest|ocr|cluster|memory|quality|scale|web|all] — figures are printed; see README."""

from __future__ import annotations

import sys

from bench import cluster_bench, ingest_bench, memory_bench, ocr_bench, quality_bench, scale_bench, web_bench


def main(argv: list[str]) -> None:
    which = argv[0] if argv else "all"
    if which not in ("ingest", "ocr", "cluster", "memory", "quality", "scale", "web", "all"):
        raise SystemExit("usage: python -m bench [ingest|ocr|cluster|memory|quality|scale|web|all]")
    if which in ("ingest", "all"):
        ingest_bench.main()
    if which in ("ocr", "all"):
        ocr_bench.main()
    if which in ("cluster", "all"):
        cluster_bench.main()
    if which in ("memory", "all"):
        memory_bench.main()
    if which in ("quality", "all"):
        quality_bench.main()
    if which in ("scale", "all"):
        scale_bench.main()
    if which in ("web", "all"):
        web_bench.main()


if __name__ == "__main__":
    main(sys.argv[1:])

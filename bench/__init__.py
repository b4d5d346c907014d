"""Benchmarks (not run in CI): python -m bench [ingest|quality|scale|all]."""

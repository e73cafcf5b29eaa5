"""Benchmarks, run by hand from the repository root (`.venv/bin/python -m bench.delivery`);
their results are written up in docs/performance.md."""

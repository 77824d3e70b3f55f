"""Benchmarks and the soak test: `make bench`, `python -m bench.soak`."""

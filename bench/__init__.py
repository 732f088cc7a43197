"""Benchmarks: Dispatched measured side by side with what users would write by hand.

Run with ``make bench`` (or ``python -m bench --help``); never part of ``make test``.
One run starts one Temporal dev server, loopback upstreams and worker subprocesses,
measures every variant on the same workloads, prints a table and writes JSON to
``bench/results/``.
"""

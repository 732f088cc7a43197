"""``python -m bench``: run the benchmarks, print the table, write the JSON."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bench.report import table, write_json
from bench.run import Options, run_bench
from bench.variants import VARIANTS
from runtime.exits import end_process


def parse(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=30,
                        help="measured runs per variant and workload (default 30; x4 for the 3-step line at one caller, "
                             "x8 at saturation)")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured runs first (default 3)")
    parser.add_argument("--saturation", type=int, default=16,
                        help="concurrency of the saturation series, 3-step DAG (default 16; 1 skips it)")
    parser.add_argument("--parked", type=int, default=10_000, help="runs parked on a signal (default 10000; 0 skips)")
    parser.add_argument("--parked-signals", type=int, default=50, help="parked runs signalled and timed (default 50)")
    parser.add_argument("--large-steps", type=int, default=1000, help="steps of the large document (default 1000; 0 skips)")
    parser.add_argument("--timer-runs", type=int, default=30,
                        help="runs of each timer series (Dispatched-Delay, wait timeout; default 30; 0 skips)")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated subset of: " + ", ".join(VARIANTS))
    args = parser.parse_args(argv)
    variants = tuple(v.strip() for v in args.variants.split(",") if v.strip())
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s): {', '.join(unknown)}")
    return Options(runs=args.runs, warmup=args.warmup, saturation=args.saturation, parked=args.parked,
                   parked_signals=args.parked_signals, large_steps=args.large_steps, timer_runs=args.timer_runs,
                   variants=variants)


def main(argv: list[str] | None = None) -> int:
    options = parse(sys.argv[1:] if argv is None else argv)
    result = asyncio.run(run_bench(options, log=lambda line: print(line, file=sys.stderr, flush=True)))
    print(table(result))
    print(f"\nJSON: {write_json(result)}")
    return 0


if __name__ == "__main__":
    end_process(main())  # not sys.exit: the SDK's threads can abort finalization (runtime/exits.py)

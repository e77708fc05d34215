"""`python -m benchmarks [--quick] [--only W1,W3] [--output PATH]`

Runs the workloads, prints a table of medians and ratios, and (for a full run
of every workload) rewrites benchmarks/RESULTS.md.
"""

import argparse
import os
import sys
import time

# One thread for numpy's BLAS and for torch, set before either is imported: at these
# sizes a second thread gains little, and on a shared 2-core machine its spinning made
# single runs of the same numpy code vary tenfold. Set these variables to override.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from . import (w1_overhead, w2_mlp, w3_lstm, w4_char_rnn, w5_scalar_mlp, w6_deep_chain,
               w7_drawing)
from .common import machine, run_alone
from .report import text_table, write_results

WORKLOADS = {"W1": w1_overhead, "W2": w2_mlp, "W3": w3_lstm, "W4": w4_char_rnn,
             "W5": w5_scalar_mlp, "W6": w6_deep_chain, "W7": w7_drawing}
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[1])
    parser.add_argument("--quick", action="store_true",
                        help="fewer repetitions and no 10^6 chain (a minute, not several)")
    parser.add_argument("--only", default="", help="comma-separated workloads, e.g. W1,W5")
    parser.add_argument("--output", default=None,
                        help="where to write the results (default: benchmarks/RESULTS.md for a "
                             "full run of every workload, nowhere otherwise)")
    args = parser.parse_args(argv)
    keys = [k.strip().upper() for k in args.only.split(",") if k.strip()] or list(WORKLOADS)
    unknown = [k for k in keys if k not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}")

    facts = machine()
    print("machine: " + ", ".join(f"{k} {v}" for k, v in facts.items()), flush=True)
    done = []
    for key in keys:
        start = time.perf_counter()
        print(f"{key} ...", end=" ", flush=True)
        done.append(run_alone(WORKLOADS[key].__name__, args.quick))
        print(f"{time.perf_counter() - start:.1f} s", flush=True)
    print()
    print(text_table(done))

    output = args.output
    if output is None and not args.quick and len(keys) == len(WORKLOADS):
        output = RESULTS
    if output:
        write_results(output, done, facts, args.quick)
        print(f"\nwrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

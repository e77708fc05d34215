"""W6: a chain of N tanh operations on one number, N = 10^4, 10^5, 10^6.

Backward must walk the whole chain without recursion. Each (engine, N) runs
in a fresh process so that its peak resident memory is its own: the peak
(VmHWM, reset just before the chain is built) minus the resident size before,
over forward and backward together. Times are CPU times of the thread. Run one case by hand with
`python -m benchmarks.w6_deep_chain scalar 100000`.
"""

import json
import subprocess
import sys
import time

from .common import Workload, optional, reset_peak_rss, rss_bytes

ENGINES = ("scalar", "tensor", "torch")
LABELS = {"scalar": "glassgrad Scalar", "tensor": "glassgrad Tensor (1,)", "torch": "torch (1,)"}


def _build(engine, n):
    """A leaf and its chain of n tanh ops, on one of the engines."""
    if engine == "torch":
        import torch
        x = torch.tensor([0.5], requires_grad=True)
    else:
        import autograd as ag
        x = ag.Scalar(0.5) if engine == "scalar" else ag.Tensor([0.5], requires_grad=True)
    y = x
    for _ in range(n):
        y = y.tanh()
    return x, y


def measure(engine, n, repeat):
    """Median forward and backward seconds over `repeat` runs; peak memory of the first."""
    _build(engine, 1000)[1].backward()           # warm-up: imports, first allocations
    forward, backward, peak = [], [], None
    for _ in range(repeat):
        before, _ = rss_bytes()
        reset_peak_rss()
        start = time.thread_time()
        x, y = _build(engine, n)
        mid = time.thread_time()
        y.backward()                             # one element: no grad argument needed
        end = time.thread_time()
        _, high = rss_bytes()
        peak = high - before if peak is None else peak
        forward.append(mid - start)
        backward.append(end - mid)
        del x, y
    forward.sort()
    backward.sort()
    return {"forward": forward[len(forward) // 2], "backward": backward[len(backward) // 2],
            "peak": peak}


def run_child(engine, n, repeat):
    out = subprocess.run([sys.executable, "-m", "benchmarks.w6_deep_chain", engine, str(n), str(repeat)],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["exit code %d" % out.returncode])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(quick=False):
    w = Workload("W6", "deep chain of N tanh ops: backward time and peak memory", "s",
                 baseline="torch (1,)",
                 target="10^6 completes (Scalar, Tensor); memory linear in N and below torch's")
    sizes = (10**4, 10**5) if quick else (10**4, 10**5, 10**6)
    results = {}
    for n in sizes:
        for engine in ENGINES:
            if engine == "torch" and optional("torch") is None:
                continue
            r = run_child(engine, n, 1 if n >= 10**6 or quick else 3)
            results[engine, n] = r
            if "error" in r:
                w.extra.append((f"{LABELS[engine]}, N={n:.0e}", f"FAILED: {r['error']}"))
                continue
            w.extra.append((f"{LABELS[engine]}, N={n:.0e}",
                            f"backward {r['backward']:.3f} s, forward {r['forward']:.3f} s, "
                            f"peak {r['peak'] / 2**20:.1f} MiB ({r['peak'] / n:.0f} B/op)"))
    top = sizes[-1]
    for engine in ENGINES:
        r = results.get((engine, top))
        if r and "error" not in r:
            w.times[LABELS[engine]] = r["backward"]
    ok = True
    for engine in ("scalar", "tensor"):
        big, small = results.get((engine, top), {}), results.get((engine, sizes[-2]), {})
        if "peak" not in big or "peak" not in small:
            ok = False
            continue
        per_op_big, per_op_small = big["peak"] / top, small["peak"] / sizes[-2]
        linear = per_op_big <= 1.5 * per_op_small
        theirs = results.get(("torch", top), {}).get("peak")
        below = theirs is None or big["peak"] < theirs
        ok = ok and linear and below
        w.notes.append(f"{LABELS[engine]}: {per_op_small:.0f} B/op at N={sizes[-2]:.0e}, "
                       f"{per_op_big:.0f} B/op at N={top:.0e} ({'linear' if linear else 'NOT linear'})"
                       + ("" if theirs is None else
                          f"; {big['peak'] / theirs:.2f}x torch's peak at N={top:.0e}"))
    w.met = ok if top >= 10**6 else None
    w.headline = ("all chains completed" if all("error" not in r for r in results.values())
                  else "some chains FAILED")
    return w


if __name__ == "__main__":
    engine, n = sys.argv[1], int(sys.argv[2])
    repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    print(json.dumps(measure(engine, n, repeat)))

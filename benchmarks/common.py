"""What every workload shares: timing, peak memory, the machine, and a result record.

Times are medians of repetitions after warm-up. They are CPU times of the
running thread (`time.thread_time`), not wall times: every implementation runs
in this one thread (BLAS and torch are set to one thread), and on a shared
machine the wall clock also counts the time other processes held the core.
The garbage collector stays on (a graph's objects are part of its cost) but is
run before each turn so that one implementation's garbage is not billed to the next.
"""

import concurrent.futures
import gc
import importlib
import importlib.metadata
import multiprocessing
import os
import platform
import statistics
import time
from dataclasses import dataclass, field

import numpy as np

import autograd as ag

DTYPE = np.float32


def run_alone(module, quick):
    """`module.run(quick)` (a workload) in a fresh Python process; its result comes back.

    Each workload starts from the same clean state: no other workload's objects
    for the garbage collector to walk (torch alone brings some 10^5), and no
    other workload's freed memory in malloc's heap. In one shared process W5
    measured 2.7x micrograd after W1-W4 had imported torch, and 3.1x without,
    and W3 moved with whatever had run before it.
    """
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(_run, module, quick).result()


def _run(module, quick):
    return importlib.import_module(module).run(quick=quick)


def optional(module):
    """`module` imported, or None when it is not installed (torch, micrograd, viz...)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def available(module, *names):
    """`module` when it is installed and already has every one of `names`, else None.

    The nn versions of W2-W4 join the run as soon as their modules exist.
    """
    mod = optional(module)
    return mod if mod is not None and all(hasattr(mod, n) for n in names) else None


def without_records(fn):
    """`fn` run inside `ag.no_grad_records()` (backward keeps no per-node gradients)."""
    def run():
        with ag.no_grad_records():
            return fn()
    return run


def add_nn_version(w, fns, name, fn):
    """Time `fn` (the workload through glassgrad's nn) as `name`, and again inside
    `no_grad_records()`; `fn` None (nn lacks a module yet) leaves a note instead.
    Returns the version the target is judged on: nn's, else the primitives one.
    """
    if fn is None:
        w.notes.append(f"{name.removeprefix('glassgrad ')} not available yet: "
                       "only the version from primitives ran")
        return "glassgrad (primitives)"
    fns[name] = fn
    fns[f"{name}, no_grad_records()"] = without_records(fn)
    return name


def median_times(fns, repeat, warmup=1, scale=1.0, clock=time.thread_time, rounds=3):
    """{name: median time of fn() x scale} over `repeat` runs after `warmup` runs.

    The implementations take turns in `rounds` rounds, so that a change in the
    machine's load weighs on all of them alike; within a turn an implementation
    runs its share of the repetitions back to back, after a collection and an
    untimed run, as the steps of a training loop do (run by run alternation made
    every implementation start from another's caches and heap: glassgrad's W2 step
    measured 1.18x numpy's next to numpy alone and 1.26x with torch in between).
    """
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times = {name: [] for name in fns}
    per_turn = -(-repeat // rounds)
    for _ in range(rounds):
        for name, fn in fns.items():
            gc.collect()
            fn()
            for _ in range(per_turn):
                start = clock()
                fn()
                times[name].append(clock() - start)
    return {name: statistics.median(t) * scale for name, t in times.items()}


def rss_bytes():
    """(current, peak) resident set size of this process, from /proc (Linux)."""
    now = peak = 0
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                now = int(line.split()[1]) * 1024
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) * 1024
    return now, peak


def reset_peak_rss():
    """Make the peak resident size equal to the current one (Linux >= 4.0).

    Where that is not allowed the peak stays the process's own since it
    started, which only overstates the measured peak (by what the imports took).
    """
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def check_close(what, ours, reference, rtol=2e-3, atol=2e-5):
    """Refuse to time two versions that do not compute the same gradients."""
    for i, (a, b) in enumerate(zip(ours, reference)):
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        if a.shape != b.shape or not np.allclose(a, b, rtol=rtol, atol=atol):
            worst = np.max(np.abs(a - b)) if a.shape == b.shape else f"shapes {a.shape} vs {b.shape}"
            raise AssertionError(f"{what}: gradient {i} differs from the reference (max diff {worst})")


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def version(dist):
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def machine():
    """The facts a reader needs to compare these numbers with theirs."""
    torch = optional("torch")
    facts = {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__ if torch else "not installed",
        "micrograd": version("micrograd") or "not installed",
        "BLAS threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
    }
    if torch:
        facts["torch threads"] = torch.get_num_threads()
    return facts


def headline(w, ours):
    """The target's measurement (to three decimals: 1.151x against a 1.15x target
    reads as the miss it is), then every other glassgrad version's ratio."""
    parts = [f"{ours}: {w.ratio(ours):.3f}x numpy by hand"]
    parts += [f"{name}: {w.ratio(name):.2f}x" for name in w.times
              if name.startswith("glassgrad") and name != ours]
    return "; ".join(parts)


@dataclass
class Workload:
    """One workload's measurements.

    `times` maps an implementation's name to its median (seconds, or `unit`
    units already scaled); `baseline` names the hand-written numpy entry the
    ratios are taken against; `target` says what was asked and `met` whether
    this run met it (None when it could not be measured).
    """
    key: str
    title: str
    unit: str
    times: dict = field(default_factory=dict)
    baseline: str = "numpy by hand"
    target: str = ""
    met: object = None
    headline: str = ""
    notes: list = field(default_factory=list)
    extra: list = field(default_factory=list)   # extra table rows: (label, text)
    skipped: str = ""

    def ratio(self, name, to=None):
        to = self.baseline if to is None else to
        if name not in self.times or to not in self.times:
            return None
        return self.times[name] / self.times[to]

"""Freed memory is kept for the next step (glibc): measured in page faults, not time."""

import os
import subprocess
import sys
import textwrap

import pytest

from autograd import memory

glibc_only = pytest.mark.skipif(memory.glibc_version() is None, reason="needs glibc's malloc")

# One "training step" as the engine's graphs allocate: many arrays of 256 KiB
# (more than glibc's first mmap threshold, far less than a step's total) held
# until the end of the step, then all freed; then the page faults of later steps.
STEPS = textwrap.dedent("""
    import resource
    import numpy as np
    import autograd

    def step():
        held = [np.ones(64 * 1024, np.float32) for _ in range(160)]     # 40 MiB
        return sum(float(a[0]) for a in held)

    for _ in range(3):
        step()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(5):
        step()
    print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 5)
""")


def faults_per_step(**env):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    environ.update(env)
    out = subprocess.run([sys.executable, "-c", STEPS], env=environ, capture_output=True,
                         text=True, timeout=120, check=True)
    return float(out.stdout.split()[-1])


@glibc_only
def test_a_repeated_step_reuses_its_memory_instead_of_faulting_it_in_again():
    kept = faults_per_step()
    returned = faults_per_step(GLASSGRAD_KEEP_FREED_MEMORY="0")
    pages = 40 * 1024 * 1024 // 4096
    assert returned > pages / 2, (
        f"without the setting a step should fault its 40 MiB in again ({pages} pages), "
        f"measured {returned}: the test no longer shows what it is meant to")
    assert kept < pages / 20, f"{kept} page faults per step with freed memory kept ({returned} without)"


@glibc_only
def test_glibcs_own_variables_win():
    assert faults_per_step(MALLOC_TRIM_THRESHOLD_="0", MALLOC_MMAP_THRESHOLD_="65536") > 5000


@glibc_only
def test_keep_freed_memory_takes_effect_and_says_so():
    assert memory.keep_freed_memory() is True


@pytest.mark.parametrize("kwargs, message", [
    ({"trim": -1}, "trim must be a number of bytes >= 0, got -1"),
    ({"mmap": 1.5}, "mmap must be a number of bytes >= 0, got 1.5"),
    ({"mmap": 64 << 20}, "mmap must be at most 33554432 bytes"),
])
def test_bad_thresholds_are_refused_with_a_clear_error(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        memory.keep_freed_memory(**kwargs)

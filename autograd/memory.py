"""Keeping the memory one training step frees for the next (Linux, glibc).

A step builds a graph, holds its arrays until backward is done, then frees
them all, and the next step asks for the same sizes again. With its default
settings glibc's malloc gives freed memory at the top of its heap back to the
kernel, and serves large arrays with mmap and unmaps them when they are freed.
The next step then writes to fresh pages, and the first write to each page
is a page fault. On one step of W3's nn.LSTM (batch 32, 50 steps,
64 -> 128, a loss at every step) that came to 12,800 page faults and 36 ms.
With the freed memory kept it was 3 page faults and 19 ms.

`keep_freed_memory()` runs when `autograd` is imported. It raises two glibc
thresholds:
- Up to `trim` bytes freed at the top of the heap stay with the process.
- Arrays up to `mmap` bytes come from the heap, so a later step reuses them.

The price is that the process's resident size stays near its peak rather
than shrinking between steps.

To leave malloc as it is, set GLASSGRAD_KEEP_FREED_MEMORY=0. If glibc's own
variables MALLOC_TRIM_THRESHOLD_ or MALLOC_MMAP_THRESHOLD_ are set, they win
and nothing is changed.
"""

import ctypes
import os

M_TRIM_THRESHOLD = -1       # mallopt parameters, from glibc's malloc.h
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_MAX = 32 << 20   # glibc refuses more on 64-bit machines

DEFAULT_TRIM = 128 << 20
DEFAULT_MMAP = 32 << 20


def glibc_version():
    """glibc's version as a string ('2.36'), or None on another C library or system."""
    try:
        found = os.confstr("CS_GNU_LIBC_VERSION")
    except (AttributeError, ValueError, OSError):
        return None
    if not found or not found.startswith("glibc "):
        return None
    return found.split()[1]


def keep_freed_memory(trim=DEFAULT_TRIM, mmap=DEFAULT_MMAP):
    """Ask glibc's malloc to keep freed memory for reuse instead of returning it.

    `trim`: bytes freed at the top of the heap that stay with the process.
    `mmap`: arrays up to this size come from the heap rather than from mmap
    (at most 32 MiB, glibc's own limit). Returns True if the settings took
    effect, and False where they cannot apply: not glibc (macOS, Windows,
    musl), or its `mallopt` refused.
    """
    for name, value in (("trim", trim), ("mmap", mmap)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"keep_freed_memory: {name} must be a number of bytes >= 0, "
                             f"got {value!r}")
    if mmap > MMAP_THRESHOLD_MAX:
        raise ValueError(f"keep_freed_memory: mmap must be at most {MMAP_THRESHOLD_MAX} bytes "
                         f"(32 MiB, glibc's limit), got {mmap}")
    if glibc_version() is None:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    # trim is a C int: past 2 GiB it means "never give memory back", as glibc reads it
    trim = min(trim, 2 ** 31 - 1)
    return mallopt(M_MMAP_THRESHOLD, mmap) == 1 and mallopt(M_TRIM_THRESHOLD, trim) == 1


def _on_import():
    """What `import autograd` does: keep freed memory unless told not to (see above)."""
    env = os.environ
    if env.get("GLASSGRAD_KEEP_FREED_MEMORY", "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    if "MALLOC_TRIM_THRESHOLD_" in env or "MALLOC_MMAP_THRESHOLD_" in env:
        return False
    return keep_freed_memory()

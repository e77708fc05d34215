"""Settings for the whole test suite.

Property-based tests draw `max_examples` cases each: enough to meet broadcasting
pairs, size-1 axes and 0-d arrays on every run while the suite stays fast.
`HYPOTHESIS_PROFILE=thorough` draws many more (deadline off in both: timing
is for benchmarks/, not tests).
"""

import os

from hypothesis import HealthCheck, settings

_relaxed = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile("glassgrad", max_examples=12, deadline=None,
                          suppress_health_check=_relaxed)
settings.register_profile("thorough", max_examples=300, deadline=None,
                          suppress_health_check=_relaxed)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "glassgrad"))

"""glassgrad's speed, measured against the same arithmetic written by hand in numpy.

`python -m benchmarks` (or `make bench`) runs seven workloads, from the cost
of one recorded operation (W1) to drawing an unrolled LSTM (W7), and writes
the table to benchmarks/RESULTS.md. Each workload lives in its own module,
`w<k>_<name>.py`, with its glassgrad, hand-written numpy and PyTorch versions
side by side; `common.py` has the timing and the machine description.
"""

"""Benchmarks (not tests): sync and webhook throughput against ceilings measured in the same
run, scaling, memory and latency. `python -m bench.run [--quick]`; see bench/README.md."""

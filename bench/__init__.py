"""Performance benchmarks: plain scripts that print figures (`python -m bench.run_all`), never timed tests."""

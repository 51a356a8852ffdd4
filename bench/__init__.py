"""Benchmarks: `python -m bench.engine` (the engine alone) and `python -m bench.serve` (end to end).

Each prints a table and writes its measurements, with a description of the machine, to bench/results/.
"""

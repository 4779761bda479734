"""Benchmarks: run from the checkout root as `.venv/bin/python -m bench.<name>`."""

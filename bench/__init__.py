"""Benchmarks of Kaifang against its peers (issue 4): ``python -m bench`` / ``make bench``. See README.md."""

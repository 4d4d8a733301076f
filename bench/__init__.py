"""Speed measurements run by ``make bench`` (``bench/run.py``)."""

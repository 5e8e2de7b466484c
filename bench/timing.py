"""What the benchmarks share: the median of repeated timings after a warm-up run."""

import statistics
import time


def timed(function, repeat: int) -> float:
    """Median seconds of ``repeat`` calls of ``function``, after one call that warms caches
    and connections."""
    function()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)

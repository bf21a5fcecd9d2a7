"""The benchmarks' one error: what was measured did not behave as the measurement assumes."""


class BenchError(RuntimeError):
    """E.g. a cache hit was not a hit, or a build step failed; the message says which."""

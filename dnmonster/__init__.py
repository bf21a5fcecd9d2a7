"""dnmonster: an HTTP service drawing monster identicons, compatible with amouat/dnmonster 1.0."""

__version__ = "1.0.0"

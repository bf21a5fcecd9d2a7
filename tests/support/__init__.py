"""What the test suites share: the API Gateway event builder and handler call, and a small real
HTTP server that stands in for dnmonster (scripted, misbehaving, or proxying and counting)."""

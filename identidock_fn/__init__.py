"""identidock_fn's command line: run the stack locally, deploy it, benchmark it."""

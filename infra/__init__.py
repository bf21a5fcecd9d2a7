"""Infrastructure as code for identidock_fn on AWS: the merge template and how it is built."""

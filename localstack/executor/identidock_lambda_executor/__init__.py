"""Run LocalStack's Lambda functions as local Python processes, for machines without Docker."""

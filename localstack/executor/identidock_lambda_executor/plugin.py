"""The plux plugin LocalStack finds through the ``localstack.lambda.runtime_executor`` entry point.

Select it with ``LAMBDA_RUNTIME_EXECUTOR=local-process``.
"""

from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin


class LocalProcessExecutorPlugin(RuntimeExecutorPlugin):
    name = "local-process"

    def load(self, *args: object, **kwargs: object) -> type:
        from identidock_lambda_executor.executor import LocalProcessRuntimeExecutor

        return LocalProcessRuntimeExecutor

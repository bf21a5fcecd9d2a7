"""`python -m identidock_fn deploy|destroy --target localstack|aws`: two commands, two targets.

The work is in `localstack_deploy` and `aws_deploy`; each is imported only when its target runs.
"""

from __future__ import annotations

import click

TARGETS = ("localstack", "aws")
target_option = click.option(
    "--target", type=click.Choice(TARGETS), default="localstack", show_default=True
)
stage_option = click.option("--stage", default="prod", show_default=True, help="aws target only")
region_option = click.option("--region", default=None, help="aws target only")


@click.command("deploy")
@target_option
@stage_option
@region_option
@click.option("--redis-url", help="localstack: use this Redis instead of starting one")
@click.option("--redis-ca-file", help="localstack: the CA certificate of --redis-url")
@click.option("--redis-token", envvar="IDENTIDOCK_REDIS_TOKEN", help="localstack: its password")
@click.option("--dnmonster-url", help="localstack: use this dnmonster instead of starting one")
@click.option(
    "--parameter",
    "parameters",
    multiple=True,
    metavar="KEY=VALUE",
    help="aws: a template parameter (AlarmEmail, EnableWaf, DomainName, ...); repeatable",
)
def deploy(
    target: str,
    stage: str,
    region: str | None,
    redis_url: str | None,
    redis_ca_file: str | None,
    redis_token: str | None,
    dnmonster_url: str | None,
    parameters: tuple[str, ...],
) -> None:
    """Deploy the whole stack and print the API URL."""
    if target == "aws":
        from identidock_fn.aws_deploy import deploy_aws

        deploy_aws(
            stage, region=region, echo=click.echo, extra_parameters=parse_parameters(parameters)
        )
        return
    if parameters:
        raise click.UsageError("--parameter is for --target aws")
    from identidock_fn.keeper import Services
    from identidock_fn.localstack_deploy import deploy_localstack

    services = None
    if redis_url or dnmonster_url:
        if not (redis_url and dnmonster_url and redis_token):
            raise click.UsageError("--redis-url, --redis-token and --dnmonster-url go together")
        services = Services(redis_url, redis_ca_file, dnmonster_url)
    deploy_localstack(services=services, redis_token=redis_token)


def parse_parameters(pairs: tuple[str, ...]) -> dict[str, str]:
    """`KEY=VALUE` pairs as a dict; a pair without `=` or with an empty key is a usage error."""
    parsed: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.UsageError(f"--parameter {pair!r} is not KEY=VALUE")
        parsed[key] = value
    return parsed


@click.command("destroy")
@target_option
@stage_option
@region_option
@click.option(
    "--keep-salt",
    is_flag=True,
    help="aws: keep the SSM salt, so a later deploy draws the same monsters for the same names",
)
def destroy(target: str, stage: str, region: str | None, keep_salt: bool) -> None:
    """Remove what deploy made."""
    if target == "aws":
        from identidock_fn.aws_deploy import destroy_aws

        destroy_aws(stage, region=region, keep_salt=keep_salt, echo=click.echo)
        return
    from identidock_fn.localstack_deploy import destroy_localstack

    destroy_localstack()

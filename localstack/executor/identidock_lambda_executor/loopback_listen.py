"""Make LocalStack's gateway listen on the host it is told to, not on every IPv4 address.

``GATEWAY_LISTEN=127.0.0.1:4566`` should keep LocalStack private to this machine. LocalStack
4.13.1's default (Twisted) server drops the host for IPv4 and listens on ``0.0.0.0``, so anyone
who reaches the port gets an emulator that accepts any credentials: with our executor that means
reading the function's secrets and running code as the user running LocalStack. This module swaps
in a ``register`` that passes the host on as the listening interface (IPv6 already did).
"""

from typing import Any

from localstack.runtime import hooks

_REGISTER = "register"


def register(
    self: Any, gateway: Any, listen: list[Any], ssl_creds: tuple[str, str] | None = None
) -> None:
    """LocalStack's ``TwistedRuntimeServer.register``, listening on each configured host."""
    from localstack.aws.serving.twisted import TLSMultiplexerFactory
    from rolo.serving.twisted import TwistedGateway
    from twisted.internet import endpoints, reactor, ssl

    from localstack import config

    site = TwistedGateway(gateway)
    factory: Any = site
    if ssl_creds:
        cert_file_name, key_file_name = ssl_creds
        context_factory = ssl.DefaultOpenSSLContextFactory(key_file_name, cert_file_name)
        context_factory.getContext().use_certificate_chain_file(cert_file_name)
        factory = TLSMultiplexerFactory(context_factory, False, site)
    for host_and_port in listen:
        endpoint_type = (
            endpoints.TCP6ServerEndpoint
            if config.is_ipv6_address(host_and_port.host)
            else endpoints.TCP4ServerEndpoint
        )
        endpoint_type(reactor, host_and_port.port, interface=host_and_port.host).listen(factory)


def listen_on_configured_hosts() -> None:
    """Replace the stock ``register`` of LocalStack's Twisted server."""
    from localstack.runtime.server.twisted import TwistedRuntimeServer

    setattr(TwistedRuntimeServer, _REGISTER, register)


@hooks.on_infra_start(priority=100)
def listen_on_configured_hosts_on_start() -> None:
    """LocalStack start-up hook (entry point ``localstack.hooks.on_infra_start``).

    Runs before the gateway server is set up (``LocalstackRuntime.run`` calls the start hooks
    first), so the very first listening socket is already the private one.
    """
    listen_on_configured_hosts()

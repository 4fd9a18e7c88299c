"""The gRPC plumbing the service fakes share: one server on 127.0.0.1, a free port,
the fake's handlers registered under its service name."""

from __future__ import annotations

from collections.abc import Callable
from concurrent import futures
from typing import TypeVar

import grpc

Fake = TypeVar("Fake")


def start_grpc_fake(service: str, make: Callable[[grpc.Server, int], Fake],
                    handlers: Callable[[Fake], dict[str, grpc.RpcMethodHandler]]) -> Fake:
    """A started server for `service`; `make(server, port)` builds the fake that
    `handlers(fake)` answers from."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    port = server.add_insecure_port("127.0.0.1:0")
    fake = make(server, port)
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(service, handlers(fake)),))
    server.start()
    return fake

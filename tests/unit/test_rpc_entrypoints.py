"""Every service's RPC methods use svckit's steady ``rpc`` (a reply the broker cannot take does
not kill the service), and only it: two kinds of RPC consumer on one service's queue each take
requests for methods only the other knows, and answer them ``MethodNotFound``."""

import importlib

import pytest
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.rpc import Rpc

from svckit.rpc import SteadyRpc
from svckit.services import SERVICES


def rpc_entrypoints(cls) -> list[tuple[str, type]]:
    found = []
    for name in dir(cls):
        for entrypoint in getattr(getattr(cls, name), ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(entrypoint, Rpc):
                found.append((name, type(entrypoint)))
    return found


@pytest.mark.parametrize("service", [s for s in SERVICES if s.name != "gateway"],
                         ids=lambda s: s.name)
def test_every_rpc_method_is_the_steady_kind(service):
    module, _, name = service.entry.partition(":")
    entrypoints = rpc_entrypoints(getattr(importlib.import_module(module), name))
    assert entrypoints
    assert [n for n, kind in entrypoints if kind is not SteadyRpc] == []

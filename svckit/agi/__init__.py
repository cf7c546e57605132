"""FastAGI for nameko services: ``@fastagi("95598")`` methods receive an :class:`AgiChannel`.

Config: ``FASTAGI_ADDRESS`` (``[address:]port``, default ``127.0.0.1:4573``) and optional
``FASTAGI_LIMITS`` (see :class:`AgiLimits`).
"""

from svckit.agi.channel import AgiChannel, AgiLimits, GetDataResult
from svckit.agi.protocol import (
    AgiCommandError,
    AgiCommandTooLong,
    AgiError,
    AgiException,
    AgiHangup,
    AgiProtocolError,
    AgiResponse,
    AgiTimeout,
    AgiUsageError,
    parse_response,
    quote_arg,
    read_env_block,
)
from svckit.agi.server import FastAgiEntrypoint, FastAgiServer, fastagi, get_server

__all__ = [
    "AgiChannel",
    "AgiCommandError",
    "AgiCommandTooLong",
    "AgiError",
    "AgiException",
    "AgiHangup",
    "AgiLimits",
    "AgiProtocolError",
    "AgiResponse",
    "AgiTimeout",
    "AgiUsageError",
    "FastAgiEntrypoint",
    "FastAgiServer",
    "GetDataResult",
    "fastagi",
    "get_server",
    "parse_response",
    "quote_arg",
    "read_env_block",
]

"""A simulator of Asterisk's side of FastAGI, for tests, benchmarks and work without a PBX.

``place_call(host, port, ...)`` plays one call and returns a :class:`CallTranscript`;
``run_load(...)`` places many in parallel; ``python -m asterisk_sim`` is the command line.
Plain blocking sockets: works in a normal process and under ``eventlet.monkey_patch()``.
"""

from asterisk_sim.agiparse import parse_args
from asterisk_sim.call import CallTranscript, CommandRecord, build_env, command_name, place_call
from asterisk_sim.load import LoadReport, run_load

__all__ = [
    "CallTranscript",
    "CommandRecord",
    "LoadReport",
    "build_env",
    "command_name",
    "parse_args",
    "place_call",
    "run_load",
]

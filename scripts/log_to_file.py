"""Append standard input to a log file of bounded size: past ``--max-bytes`` the file becomes
``<file>.1`` (the older ones shift up to ``--keep``) and a new one starts. `make run` sends
each service's output through it, so restarts append and the logs never fill the disk.

    nameko run ... > >(python scripts/log_to_file.py var/log/calls.log) 2>&1
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def rotate(path: Path, keep: int) -> None:
    for index in range(keep - 1, 0, -1):
        older = path.with_name(f"{path.name}.{index}")
        if older.exists():
            older.replace(path.with_name(f"{path.name}.{index + 1}"))
    path.replace(path.with_name(f"{path.name}.1"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--max-bytes", type=int, default=20 * 1024 * 1024)
    parser.add_argument("--keep", type=int, default=3, help="rotated files kept")
    args = parser.parse_args()
    args.file.parent.mkdir(parents=True, exist_ok=True)
    out = args.file.open("ab")
    for line in sys.stdin.buffer:
        if out.tell() + len(line) > args.max_bytes and out.tell() > 0:
            out.close()
            rotate(args.file, args.keep)
            out = args.file.open("ab")
        out.write(line)
        out.flush()
    out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

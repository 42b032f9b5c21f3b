#!/usr/bin/env python3
# Copyright slimctl contributors. SPDX-License-Identifier: Apache-2.0
"""Start a test app ahead of time and run it only when released.

slimctl's `local` target starts the sender together with the receivers, but the sender
must not open its session before the receivers listen (the example retries a session only
every 5 s). Python start-up and the example's imports take about 0.2 s of the sender's
0.25-0.3 s to its first message; this script does them while the receivers start, then
waits.

Usage:  held_start.py PROGRAM [ARGS...]      (run by the venv's python)

Contract with the supervisor (slimctl):
  * PROGRAM is a console script of this interpreter's environment (the venv's bin folder):
    its entry point is imported now. Anything else (or an entry point that fails to
    import) is only looked up, and exec'd after the release, so it runs and fails exactly
    as when started directly.
  * Nothing is printed before the release: the log holds only the program's own output.
  * One line on stdin releases: stdin becomes /dev/null (as for a directly started app),
    sys.argv becomes [PROGRAM, ARGS...] and the entry point runs as its console script
    would run it (`sys.exit(main())`).
  * End of input without a line (the supervisor gave up, or died: it holds the pipe's write
    end) exits 0 without running anything, after one line on stderr.
"""

import importlib.metadata
import os
import shutil
import sys


def load_entry_point(program: str):
    """The console-script entry point PROGRAM stands for, imported; None if it is not one."""
    bin_dir = os.path.dirname(os.path.abspath(sys.executable))
    if os.path.dirname(os.path.abspath(program)) != bin_dir:
        return None
    name = os.path.basename(program)
    try:
        for ep in importlib.metadata.entry_points(group="console_scripts"):
            if ep.name == name:
                return ep.load()
    except Exception:  # any import error shows when the program itself runs
        return None
    return None


def main(argv: "list[str]") -> int:
    if len(argv) < 2:
        print("usage: held_start.py PROGRAM [ARGS...]", file=sys.stderr)
        return 2
    program = argv[1] if "/" in argv[1] else (shutil.which(argv[1]) or argv[1])
    args = argv[2:]
    entry = load_entry_point(program)

    if not sys.stdin.buffer.readline():
        print("slimctl-held: not released, not started", file=sys.stderr, flush=True)
        return 0
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)

    if entry is None:
        os.execv(program, [program] + args)
    sys.argv = [program] + args
    return entry()


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
# Copyright slimctl contributors. SPDX-License-Identifier: Apache-2.0
"""Start a test app ahead of time and run it only when released.

slimctl's `local` target starts the sender together with the receivers, but the sender
must not open its session before the receivers listen (the example retries a session only
every 5 s). Python start-up and the example's imports take about 0.2 s of the sender's
0.25-0.3 s to its first message; this script does them while the receivers start, then
waits.

Usage:  held_start.py [--no-hold] [--secrets FILE] [--exit-file FILE] PROGRAM [ARGS...]
        (run by the venv's python)

  --no-hold       run at once (no release line awaited): used to keep secrets out of argv.
  --secrets FILE  a JSON object {token: value} (mode 0600, written by slimctl): every token in
                  ARGS is replaced by its value in-process, so /proc/PID/cmdline (readable by
                  every local user) shows only the tokens. The file is removed once read. A
                  PROGRAM that is not an entry point of this environment would need exec, which
                  would put the values back into argv: that is refused (exit 2).
  --exit-file FILE  when PROGRAM's entry point returns or exits, its exit code is written to
                  FILE (temp file, then rename): slimctl has usually exited by then, so nobody
                  waits for the process, and `slimctl status` reads the code from here.

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


def read_secrets(path: str) -> "dict[str, str]":
    """The token → value map slimctl wrote for this app; removed once read."""
    import json
    try:
        with open(path, "r", encoding="utf-8") as f:
            values = json.load(f)
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass
    return {str(k): str(v) for k, v in values.items()}


def exit_code(value) -> int:
    """sys.exit's argument as the process's exit code."""
    if value is None:
        return 0
    return value if isinstance(value, int) else 1


def run_recording(entry, exit_file: "str | None") -> int:
    """Runs the entry point; its exit code goes to exit_file however it ends (return, sys.exit, an exception)."""
    code = 1
    try:
        code = exit_code(entry())
        return code
    except SystemExit as e:
        code = exit_code(e.code)
        raise
    finally:
        if exit_file:
            tmp = f"{exit_file}.{os.getpid()}.tmp"
            try:
                with open(tmp, "w", encoding="utf-8") as f:
                    f.write(f"{code}\n")
                os.replace(tmp, exit_file)
            except OSError:
                pass


def main(argv: "list[str]") -> int:
    rest = argv[1:]
    hold, secrets, exit_file = True, {}, None
    while rest and rest[0] in ("--no-hold", "--secrets", "--exit-file"):
        if rest[0] == "--no-hold":
            hold, rest = False, rest[1:]
        elif len(rest) > 1 and rest[0] == "--secrets":
            secrets, rest = read_secrets(rest[1]), rest[2:]
        elif len(rest) > 1:
            exit_file, rest = rest[1], rest[2:]
        else:
            rest = []
    if not rest:
        print("usage: held_start.py [--no-hold] [--secrets FILE] [--exit-file FILE] PROGRAM [ARGS...]", file=sys.stderr)
        return 2
    program = rest[0] if "/" in rest[0] else (shutil.which(rest[0]) or rest[0])
    args = rest[1:]
    for token, value in secrets.items():
        args = [a.replace(token, value) for a in args]
    entry = load_entry_point(program)
    if secrets and entry is None:
        print(f"slimctl-held: {program} is not an entry point of this environment; "
              "running it would put its secrets into argv", file=sys.stderr, flush=True)
        return 2

    if hold:
        if not sys.stdin.buffer.readline():
            print("slimctl-held: not released, not started", file=sys.stderr, flush=True)
            return 0
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)

    if entry is None:
        os.execv(program, [program] + args)
    sys.argv = [program] + args
    return run_recording(entry, exit_file)


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
# Copyright slimctl contributors. SPDX-License-Identifier: Apache-2.0
"""Run ONE real SLIM data-plane node from a SLIM node config file, in the foreground.

slimctl's `local` target starts one of these per simulated node, with the same
`slim.config` the Helm chart would mount, so the local inner loop exercises the
real data plane rather than a stand-in.

Usage:  slim_node.py CONFIG.yaml [--watch-stdin]

Contract with the supervisor (slimctl), kept stable on purpose:
  * The bindings expand `${env:VAR}` in the config themselves (node_id usually
    comes from SLIM_SVC_ID), so this script never rewrites the file.
  * Exactly one line starting with "slimctl-node ready " goes to stdout once every
    dataplane server accepts TCP connections:
        slimctl-node ready pid=<pid> node_id=<id> endpoints=<host:port>[,...] version=<v>
    The node's own log lines (tracing, with ANSI colours) also go to stdout.
  * On failure before readiness, one line goes to stderr and the exit code says why:
        slimctl-node failed: <kind>: <reason>
    exit 2 = bad config (missing file, YAML error, unknown key, unset env var),
    exit 3 = a listen address is already in use,
    exit 1 = any other start failure (including the bindings being absent).
  * SIGTERM or SIGINT: graceful shutdown of the node, then exit 0 (also before ready).
  * If start-up takes more than 5 s, one "slimctl-node waiting: ..." line goes to stdout.
  * --watch-stdin: end of input on stdin is treated like SIGTERM, so a node whose
    supervisor died (and with it the pipe's write end) does not linger.
"""

import os
import signal
import socket
import sys
import threading
import time

EXIT_START_FAILED = 1
EXIT_BAD_CONFIG = 2
EXIT_ADDRESS_IN_USE = 3

# The bind returns before initialize_from_config_with_error does, so the first
# probe normally succeeds; the deadline only guards against a slow machine.
READY_DEADLINE_SECONDS = 10.0
PROBE_INTERVAL_SECONDS = 0.02
SLOW_START_HINT_SECONDS = 5.0


def fail(kind: str, reason: str, code: int) -> "None":
    """Report a start failure on one stderr line and end the process, from any thread."""
    # The bindings format causes as "msg\nCaused by:\n  -> cause": flatten to "msg: cause".
    parts = [line.strip().removeprefix("-> ") for line in reason.splitlines()]
    one_line = ": ".join(p for p in parts if p and p != "Caused by:")
    print(f"slimctl-node failed: {kind}: {one_line}", file=sys.stderr, flush=True)
    sys.stdout.flush()
    os._exit(code)


def probe_address(endpoint: str) -> "tuple[str, int]":
    """Where to connect to reach a server bound on `endpoint` (wildcards mean loopback)."""
    host, _, port = endpoint.rpartition(":")
    host = host.strip("[]")
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return host, int(port)


def accepts(address: "tuple[str, int]") -> bool:
    try:
        socket.create_connection(address, timeout=0.5).close()
        return True
    except OSError:
        return False


def wait_until_serving(endpoints: "list[str]") -> bool:
    addresses = [probe_address(e) for e in endpoints]
    deadline = time.monotonic() + READY_DEADLINE_SECONDS
    pending = list(addresses)
    while pending:
        pending = [a for a in pending if not accepts(a)]
        if not pending:
            break
        if time.monotonic() > deadline:
            return False
        time.sleep(PROBE_INTERVAL_SECONDS)
    return True


def watch_stdin() -> None:
    """Turn EOF on stdin into a SIGTERM for this process (picked up by sigwait)."""
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except (OSError, ValueError):
        pass
    os.kill(os.getpid(), signal.SIGTERM)


def start_node(slim_bindings, config_path: str, ready: threading.Event) -> None:
    """Initialise the node and announce readiness; runs off the main thread because
    initialisation can block for ever (an unreachable controller.clients endpoint)."""
    try:
        slim_bindings.initialize_from_config_with_error(config_path)
    except slim_bindings.SlimError as error:
        message = getattr(error, "message", None) or str(error)
        if "Address already in use" in message or "os error 98" in message or "os error 48" in message:
            fail("address in use", message, EXIT_ADDRESS_IN_USE)
        if type(error).__name__ == "ConfigError":
            fail("config error", message, EXIT_BAD_CONFIG)
        fail("start error", message, EXIT_START_FAILED)

    services = slim_bindings.get_services()
    node_ids = [s.config().node_id or s.get_name() for s in services]
    endpoints = [srv.endpoint for s in services for srv in s.config().dataplane.servers]
    if not endpoints:
        # Seen with 1.4.1 and 3.3.8: an unknown key inside services.<id> (e.g. `peers` on
        # 1.4.1) makes the bindings drop that service without any error or log line.
        fail(
            "config error",
            f"no dataplane server started ({len(services)} service(s) loaded): services.<id>.dataplane.servers "
            "is empty, or a key under services.<id> is unknown to this SLIM data plane "
            f"({slim_bindings.get_version()}), which then drops the service silently",
            EXIT_BAD_CONFIG,
        )
    if not wait_until_serving(endpoints):
        fail("start error", f"servers not accepting connections after {READY_DEADLINE_SECONDS:.0f}s: {','.join(endpoints)}", EXIT_START_FAILED)

    print(
        f"slimctl-node ready pid={os.getpid()} node_id={','.join(node_ids)} "
        f"endpoints={','.join(endpoints)} version={slim_bindings.get_version()}",
        flush=True,
    )
    ready.set()


def hint_if_slow(ready: threading.Event) -> None:
    if not ready.wait(SLOW_START_HINT_SECONDS):
        print(
            f"slimctl-node waiting: not ready after {SLOW_START_HINT_SECONDS:.0f}s; start-up blocks while a "
            "services.<id>.controller.clients endpoint is unreachable",
            flush=True,
        )


def main(argv: "list[str]") -> int:
    args = [a for a in argv[1:] if a != "--watch-stdin"]
    if len(args) != 1 or args[0].startswith("-"):
        print("usage: slim_node.py CONFIG.yaml [--watch-stdin]", file=sys.stderr)
        return EXIT_BAD_CONFIG
    config_path = args[0]

    try:
        import slim_bindings
    except ImportError as error:
        fail("missing dependency", f"cannot import slim_bindings ({error}); pip install slim-bindings", EXIT_START_FAILED)

    # Block the stop signals BEFORE any other thread exists: every thread (ours and the
    # bindings' runtime threads) inherits the mask, so the signals stay pending until
    # the sigwait below collects them, whichever thread the kernel picked.
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)

    ready = threading.Event()
    threading.Thread(target=start_node, args=(slim_bindings, config_path, ready), daemon=True).start()
    threading.Thread(target=hint_if_slow, args=(ready,), daemon=True).start()
    if "--watch-stdin" in argv[1:]:
        threading.Thread(target=watch_stdin, daemon=True).start()

    received = signal.sigwait(stop_signals)
    print(f"slimctl-node stopping signal={signal.Signals(received).name}", flush=True)
    if not ready.is_set():
        # Start-up never finished, so there is nothing the bindings could shut down
        # gracefully; leave without waiting on the blocked initialisation.
        print("slimctl-node stopped before ready", flush=True)
        os._exit(0)
    try:
        slim_bindings.shutdown_blocking()
    except slim_bindings.SlimError as error:
        fail("shutdown error", getattr(error, "message", None) or str(error), EXIT_START_FAILED)
    print("slimctl-node stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Connect to a Ray cluster and choose its nodes.

Exclusivity rests on one Ray custom resource, `ortbench`: a node offers itself to fleet runs
by declaring it (`ray start --resources='{"ortbench": 1}'`), and each fleet agent claims
the node's whole amount of it, pinned to that node. Ray's scheduler then keeps a second
ortbench benchmark off a node until the first one is done (it queues, across fleet runs and
drivers alike), and releases the claim when an agent or its driver dies.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ..errors import OrtbenchError

RESOURCE = "ortbench"
"""The custom resource a node declares to take fleet benchmarks, one at a time."""
NAMESPACE = "ortbench"
CONNECT_TIMEOUT_S = 3.0
INSTALL_HINT = "fleet runs need Ray: pip install 'ortbench-tui[fleet]'"
START_HINT = f"ray start --head --resources='{{\"{RESOURCE}\": 1}}'"
SELECTOR_KINDS = ("host", "ip", "id", "label", "resource")


def import_ray() -> Any:
    """Ray, or one clear message (exit 2) when the extra is not installed."""
    try:
        import ray
    except ImportError:
        raise OrtbenchError(INSTALL_HINT) from None
    return ray


def _check_reachable(address: str) -> None:
    """ray.init retries an unreachable address for minutes; a TCP probe answers in seconds."""
    target = address.removeprefix("ray://")
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit():
        raise OrtbenchError(f"--ray {address}: expected auto, local or HOST:PORT")
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise OrtbenchError(
            f"no Ray cluster at {address} ({exc.strerror or exc}); start one with `{START_HINT}`"
        ) from None


@contextmanager
def _ray_owns_neither_stdout_nor_signals() -> Iterator[None]:
    """Around ray.init: the processes it starts (raylet, GCS) inherit fd 1, and their coloured
    text on a worker's death would land in `--json -`; they get stderr instead. And ray.init
    replaces the SIGTERM handler with its own (exit 15, a native stack dump): ortbench's
    (unwind, keep what was measured, exit 143) is put back."""
    import signal
    import sys
    import threading

    handlers = {}
    if threading.current_thread() is threading.main_thread():
        handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        for signum, handler in handlers.items():
            if handler is not None:
                signal.signal(signum, handler)


def connect(address: str | None) -> bool:
    """Join the cluster at `address` (auto, local, HOST:PORT; None: RAY_ADDRESS or auto).
    Returns whether this call started the connection (and so should end it)."""
    ray = import_ray()
    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS") or "auto"
    quiet: dict[str, Any] = {
        "logging_level": logging.ERROR,
        "log_to_driver": False,
        "namespace": NAMESPACE,
    }
    try:
        with _ray_owns_neither_stdout_nor_signals():
            if address == "local":
                # A one-machine cluster for trying fleet runs out: this machine takes benchmarks.
                ray.init(resources={RESOURCE: 1}, include_dashboard=False, **quiet)
            else:
                if address != "auto":
                    _check_reachable(address)
                ray.init(address=address, **quiet)
    except ConnectionError as exc:
        raise OrtbenchError(
            f"no Ray cluster at --ray {address}: {str(exc).rstrip('.')}. Start one with "
            f"`{START_HINT}`, "
            "or try `--ray local`"
        ) from None
    return True


def disconnect() -> None:
    import_ray().shutdown()


@dataclass
class NodeInfo:
    """One Ray node as fleet runs see it."""

    node_id: str
    hostname: str
    ip: str
    resources: dict[str, float] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    label: str = ""
    """How tables name the node: its hostname, plus a short id where hostnames repeat."""

    @property
    def slots(self) -> float:
        return float(self.resources.get(RESOURCE, 0.0))


def nodes_from_ray_list(raw: list[dict[str, Any]]) -> list[NodeInfo]:
    """Alive nodes from `ray.nodes()`, labelled so that every label is unique."""
    nodes = [
        NodeInfo(
            node_id=str(n["NodeID"]),
            hostname=str(n.get("NodeManagerHostname") or n.get("NodeManagerAddress") or "?"),
            ip=str(n.get("NodeManagerAddress") or ""),
            resources={str(k): float(v) for k, v in (n.get("Resources") or {}).items()},
            labels={str(k): str(v) for k, v in (n.get("Labels") or {}).items()},
        )
        for n in raw
        if n.get("Alive")
    ]
    nodes.sort(key=lambda n: (n.hostname, n.node_id))
    counts: dict[str, int] = {}
    for n in nodes:
        counts[n.hostname] = counts.get(n.hostname, 0) + 1
    for n in nodes:
        n.label = n.hostname if counts[n.hostname] == 1 else f"{n.hostname}/{n.node_id[:6]}"
    return nodes


def cluster_nodes() -> list[NodeInfo]:
    return nodes_from_ray_list(import_ray().nodes())


def _matches(node: NodeInfo, term: str) -> bool:
    kind, sep, value = term.partition(":")
    if not sep or kind not in SELECTOR_KINDS:
        kind, value = "host", term
    if kind == "host":
        return fnmatch.fnmatch(node.hostname, value) or fnmatch.fnmatch(node.label, value)
    if kind == "ip":
        return node.ip == value
    if kind == "id":
        return node.node_id.startswith(value)
    if kind == "resource":
        return node.resources.get(value, 0.0) > 0
    key, eq, wanted = value.partition("=")
    return key in node.labels and (not eq or fnmatch.fnmatch(node.labels[key], wanted))


def parse_selectors(selectors: list[str]) -> list[str]:
    """`--nodes` values as terms: comma-separated, each `KIND:VALUE` or a hostname glob."""
    terms = [t.strip() for s in selectors for t in s.split(",") if t.strip()]
    for term in terms:
        kind, sep, value = term.partition(":")
        if sep and kind in SELECTOR_KINDS and not value:
            raise OrtbenchError(f"--nodes {term}: nothing after '{kind}:'")
    return terms


def select_nodes(nodes: list[NodeInfo], selectors: list[str]) -> tuple[list[NodeInfo], list[str]]:
    """The nodes that match any selector term (all nodes without selectors) and take ortbench
    benchmarks; plus a message per matching node that does not offer the resource."""
    terms = parse_selectors(selectors)
    chosen = [n for n in nodes if not terms or any(_matches(n, t) for t in terms)]
    if not chosen:
        known = ", ".join(f"{n.label} ({n.ip}, id {n.node_id[:8]})" for n in nodes) or "none"
        raise OrtbenchError(f"--nodes {', '.join(terms)} matches no alive node; nodes: {known}")
    usable = [n for n in chosen if n.slots > 0]
    skipped = [
        f"{n.label}: does not offer the '{RESOURCE}' resource, skipped "
        f"(start its Ray with --resources='{{\"{RESOURCE}\": 1}}')"
        for n in chosen
        if n.slots <= 0
    ]
    if not usable:
        raise OrtbenchError(
            "no selected node takes ortbench benchmarks:\n  " + "\n  ".join(skipped)
        )
    return usable, skipped

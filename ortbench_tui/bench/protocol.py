"""Every message between a measuring child process and its parent, both ways.

The single-run child (`bench.worker`) and the interleaved child (`bench.interleave`) speak
the same protocol; the parent side (`bench.child.ChildProcess`) reads it.

  child -> parent   SessionReady    a session is created and its providers checked
                    PhaseProgress   first run and warm-up progress
                    Schedule        (interleaved) the planned rounds and block sizes
                    SampleBatch     (single run) timed samples in ns, every ~100 ms
                    Block           (interleaved) one block of one session's timed samples
                    PointProgress   (curve) warm-up / timed progress of one point
                    PointDone       (curve) one point's timed samples, in start order
                    PointFailed     (curve) one point ORT could not run; the curve goes on
                    Done            the child's final figures
                    Error           bad input ("input", exit 2) or a failed run ("run", exit 1)
  parent -> child   Stop            finish the current batch (or round) and stop
                    StopUnit        (interleaved) run this session no more; the others go on
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np


@dataclass(frozen=True)
class SessionReady:
    index: int
    """Which session (0 for a single run; the unit index in an interleaved child)."""
    meta: dict[str, Any]


@dataclass(frozen=True)
class PhaseProgress:
    phase: str
    """first_run | warmup"""
    done: int
    total: int | None
    first_run_ms: float | None = None
    """With the first_run phase: its latency, so a run that dies later still reports it."""


@dataclass(frozen=True)
class Schedule:
    rounds: int | None
    """Planned rounds, or None when the child runs by time."""
    block_runs: list[int]
    """Timed runs per block, per session."""
    rewarm_runs: list[int]
    """Untimed runs that open each block, per session."""


@dataclass(frozen=True)
class SampleBatch:
    start: int
    """Index of the batch's first sample in the run."""
    samples_ns: np.ndarray


@dataclass(frozen=True)
class Block:
    round: int
    index: int
    samples_ns: np.ndarray


@dataclass(frozen=True)
class PointProgress:
    index: int
    """The point's index in the curve's grid."""
    phase: str
    """warmup | timed"""
    done: int
    total: int | None


@dataclass(frozen=True)
class PointDone:
    index: int
    samples_ns: np.ndarray
    """Every request's latency, all threads merged in the order the requests started."""
    wall_s: float
    """From the first request's start to the last one's end."""
    info: dict[str, Any]
    """items_per_request, shapes, per-thread request counts."""


@dataclass(frozen=True)
class PointFailed:
    index: int
    message: str


@dataclass(frozen=True)
class Done:
    final: dict[str, Any]


@dataclass(frozen=True)
class Error:
    kind: str
    """input | run"""
    message: str


@dataclass(frozen=True)
class Stop:
    """Parent -> child: stop after the current batch."""


@dataclass(frozen=True)
class StopUnit:
    """Parent -> interleaved child: this session's question is answered; leave it out of the
    rounds from the next one on (its time goes to the sessions still undecided)."""

    index: int


ChildMessage = (
    SessionReady
    | PhaseProgress
    | Schedule
    | SampleBatch
    | Block
    | PointProgress
    | PointDone
    | PointFailed
    | Done
    | Error
)


class Connection(Protocol):
    """The child's end of the pipe, as the measuring code uses it."""

    def send(self, obj: Any) -> None: ...

    def recv(self) -> Any: ...

    def poll(self, timeout: float | None = ...) -> bool: ...


class Stopped(Exception):
    """Raised in the child when the parent asked it to stop."""


class StopListener:
    """The child's one check for a Stop from the parent, made between batches (never per run)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.requested = False
        self.dropped: set[int] = set()
        """Sessions the parent asked to run no more (StopUnit)."""

    def check(self) -> None:
        """Read what the parent sent; raise Stopped once a Stop has arrived."""
        while self.conn.poll():
            msg = self.conn.recv()
            if isinstance(msg, Stop):
                self.requested = True
            elif isinstance(msg, StopUnit):
                self.dropped.add(msg.index)
        if self.requested:
            raise Stopped

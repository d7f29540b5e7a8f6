"""Where a run's streamed samples go on the parent side: memory that does not grow with the run.

Design. Each batch from the worker is
  * appended to a spill file on disk, a `.npy` whose fixed-size header (HEADER_BYTES) is
    rewritten with the final count when the run ends, so the finished file is the result's
    samples file as it is (hard-linked, else copied, into history, `--samples`, `--json`);
  * counted in a fixed-edge log histogram (`loghist.LogHistogram`: exact count, mean, std, min,
    max, percentiles to 3 significant digits), which the live view and long runs read;
  * kept in memory as well while the run has at most `exact_limit` samples (8 MB at the
    default), so a run up to that size gets exact percentiles; past it the copy is dropped;
  * summed per batch (count, sum), for the run-index chart; past BATCH_SLOTS batches
    neighbours merge pairwise, so a chart frame costs at most BATCH_SLOTS entries.
Memory is then bounded by `exact_limit` samples plus the histogram, whatever the run's length,
and every cost per batch depends on that batch only. Run (and so fleet and the sequential
compare, made of runs), the interleaved compare (a store per session) and the curve (a store
per point) keep their samples here: `extend`, then `describe`, `array` or `save_npy`. A load
step keeps its per-request timelines in memory instead: their size is rate x duration, which
the request bounds.

One thread appends (the one reading the worker's pipe); any thread may read: a lock guards
the parts that change together.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
import weakref
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..errors import OrtbenchError
from ..fileio import write_error
from .loghist import LogHistogram
from .stats import EXACT_LIMIT, HISTOGRAM_METHOD, PERCENTILE_METHOD, summarize, summarize_histogram

BATCH_SLOTS = 2048
"""Per-batch sums kept, at most: past this, pairs merge (each slot then holds 2, 4, ... batches)."""
HEADER_BYTES = 128
"""The spill file's .npy header, padded to a fixed size so the count can be rewritten in place."""


def npy_header(count: int) -> bytes:
    """A version 1.0 .npy header of HEADER_BYTES for `count` little-endian int64 values."""
    text = f"{{'descr': '<i8', 'fortran_order': False, 'shape': ({count},), }}"
    text = text.ljust(HEADER_BYTES - 10 - 1) + "\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text.encode("latin1")


def spill_dir() -> Path:
    """Spill files live beside the history (same file system: a finished one is linked in)."""
    from .results import results_dir

    return results_dir().parent / "streaming"


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


class SampleStore:
    """A run's samples: streamed to disk, counted in a log histogram, exact while small.

    `spill=False` keeps no samples at all (a live view needs only the histogram and the
    per-batch sums); `exact_limit=0` never keeps an in-memory copy.
    """

    def __init__(
        self,
        *,
        spill: bool = True,
        exact_limit: int = EXACT_LIMIT,
        folder: Path | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self.exact_limit = exact_limit
        self.histogram = LogHistogram()
        """Every sample so far (read a `histogram_copy()` from another thread)."""
        self._exact: np.ndarray | None = np.empty(min(max(exact_limit, 1), 65536), np.int64)
        self._size = 0
        self._version = 0
        self._batch_counts = np.zeros(BATCH_SLOTS, dtype=np.int64)
        self._batch_sums = np.zeros(BATCH_SLOTS, dtype=np.float64)
        self._batches = 0
        """Slots in use; each holds `_group` batches (the last one `_in_last`)."""
        self._group = 1
        self._in_last = 0
        self._spill = spill
        self._folder = folder
        self._file: BinaryIO | None = None
        self.path: Path | None = None
        """The spill file (a complete .npy once `finish` ran); None without spill or samples."""
        self._finished = False
        self._spill_error = ""
        """Why the spill file is incomplete (a write failed mid-run); empty when it is not."""
        self._cleanup: weakref.finalize[[str], None] | None = None

    # -- writing (the thread that reads the worker) -----------------------------------------

    def extend(self, batch: np.ndarray) -> None:
        batch = np.asarray(batch, dtype=np.int64)
        if batch.size == 0:
            return
        if self._finished:
            raise RuntimeError("samples added to a finished store")
        if self._spill:
            self._write(batch)
        with self._lock:
            self.histogram.add(batch)
            self._keep_exact(batch)
            self._add_batch(batch)
            self._size += int(batch.size)
            self._version += 1

    def _write(self, batch: np.ndarray) -> None:
        if self._file is None and not self._open():
            # No folder to spill to (an unusable data dir, no temp dir): keep every sample in
            # memory instead. The run costs memory again, but it is never thrown away.
            self._spill, self.exact_limit = False, sys.maxsize
            return
        assert self._file is not None
        try:
            self._file.write(np.ascontiguousarray(batch).data)  # no copy of the batch
        except OSError as exc:  # a full disk mid-run: the statistics go on, the file stops
            self._spill_error = f"{self.path}: the run's samples could not all be written: {exc}"
            self._spill = False
            self._file.close()
            self._file = None

    def _open(self) -> bool:
        name = f"run-{os.getpid()}-{id(self):x}.npy"
        for folder in (self._folder or spill_dir(), Path(tempfile.gettempdir())):
            try:
                folder.mkdir(parents=True, exist_ok=True)
                self._file = open(folder / name, "wb")  # noqa: SIM115 (open for the whole run)
                self._file.write(npy_header(0))
            except OSError:
                continue
            self.path = folder / name
            self._cleanup = weakref.finalize(self, _remove, str(self.path))  # type: ignore[arg-type]
            return True
        return False

    def _keep_exact(self, batch: np.ndarray) -> None:
        exact = self._exact
        if exact is None:
            return
        need = self._size + batch.size
        if need > self.exact_limit:
            self._exact = None  # past the limit: the histogram takes over, the memory goes
            return
        if need > exact.size:
            grown = np.empty(min(max(need, exact.size * 2), self.exact_limit), np.int64)
            grown[: self._size] = exact[: self._size]
            exact = self._exact = grown
        exact[self._size : need] = batch

    def _add_batch(self, batch: np.ndarray) -> None:
        total = float(batch.sum())
        if self._batches and self._in_last < self._group:  # the last slot has room
            self._batch_counts[self._batches - 1] += batch.size
            self._batch_sums[self._batches - 1] += total
            self._in_last += 1
            return
        if self._batches == BATCH_SLOTS:  # full: merge neighbours, each slot twice as wide
            half = BATCH_SLOTS // 2
            for column in (self._batch_counts, self._batch_sums):
                column[:half] = column[0::2] + column[1::2]
                column[half:] = 0
            self._batches, self._group = half, self._group * 2
        self._batch_counts[self._batches] = batch.size
        self._batch_sums[self._batches] = total
        self._batches += 1
        self._in_last = 1

    def finish(self) -> None:
        """Write the final count into the spill file's header and close it (idempotent)."""
        with self._lock:
            if self._finished:
                return
            self._finished = True
            if self._file is not None:
                self._file.seek(0)
                self._file.write(npy_header(self._size))
                self._file.close()
                self._file = None

    def discard(self) -> None:
        """Remove the spill file (the samples are kept elsewhere, or not wanted)."""
        self.finish()
        if self._cleanup is not None:
            self._cleanup()

    # -- reading (any thread) ---------------------------------------------------------------

    @property
    def size(self) -> int:
        return self._size

    @property
    def version(self) -> int:
        """Changes with every batch (a redraw can skip when nothing arrived)."""
        return self._version

    @property
    def exact(self) -> bool:
        """True while every sample is also in memory (percentiles are then exact)."""
        return self._exact is not None

    def histogram_copy(self) -> tuple[int, LogHistogram]:
        """(version, a copy of the histogram): a cost of its buckets, not of the samples."""
        with self._lock:
            return self._version, self.histogram.copy()

    def batch_sums(self) -> tuple[np.ndarray, np.ndarray]:
        """(samples, their sum in ns) per slot of consecutive batches (one batch a slot up to
        BATCH_SLOTS batches, then 2, 4, ...), as copies."""
        with self._lock:
            n = self._batches
            return self._batch_counts[:n].copy(), self._batch_sums[:n].copy()

    def describe(self) -> tuple[dict[str, float], str]:
        """(statistics as `stats.summarize`, the percentile method used)."""
        with self._lock:
            if self._exact is not None:
                return summarize(self._exact[: self._size]), PERCENTILE_METHOD
            return summarize_histogram(self.histogram), HISTOGRAM_METHOD

    def array(self) -> np.ndarray:
        """All samples: a copy while the run is small, else the finished spill file mapped
        read-only (finishes the store; pages come from disk as they are read)."""
        with self._lock:
            if self._exact is not None:
                return self._exact[: self._size].copy()
        self.finish()
        if self._spill_error:
            raise OrtbenchError(self._spill_error)
        if self.path is None:
            raise OrtbenchError("this run's samples were not kept (a live view keeps counts)")
        mapped: np.ndarray = np.load(self.path, mmap_mode="r")
        return mapped

    def save_npy(self, path: Path, overwrite: bool = True, make_parents: bool = False) -> Path:
        """Write all samples to `path` as int64 .npy: up to the exact limit from memory, beyond
        it the spill file, hard-linked or copied, never read into memory. Atomic; without
        `overwrite` an existing file is an error."""
        self.finish()
        if self._spill_error:
            raise OrtbenchError(self._spill_error)
        if self.path is None or self._exact is not None:
            # Small enough to be in memory (or no spill file): written as any array is.
            from .results import save_samples

            return save_samples(self.array(), path, overwrite=overwrite, make_parents=make_parents)
        if make_parents:
            path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{os.getpid()}-{id(self):x}.tmp")
        try:
            try:
                os.link(self.path, temp)
            except OSError:  # another file system, or no hard links there
                shutil.copyfile(self.path, temp)
            if overwrite:
                os.replace(temp, path)
            else:
                os.link(temp, path)  # fails if the name was taken meanwhile
        except FileExistsError:
            raise OrtbenchError(f"{path}: already exists; not overwritten") from None
        except OSError as exc:  # a missing folder is bad input (exit 2), a full disk not
            raise write_error(path, exc) from None
        finally:
            temp.unlink(missing_ok=True)
        return path

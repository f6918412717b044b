"""The engine's command line: ``fovex evaluate CONFIG.yaml --out DIR`` / ``python -m fovex.evaluation``.

    python -m fovex.evaluation CONFIG.yaml --out DIR [--quiet] [--overwrite] [--device cpu]
    torchrun --nproc-per-node N -m fovex.evaluation CONFIG.yaml --out DIR      (one shard per rank)

Exit status: 0 when the run is complete (rows of unreadable images are recorded with
``status="failed"``), 2 for a configuration, data or result-directory error, 130 when interrupted
(rerun the same command to resume).
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading

from .config import ConfigError, EvaluationError
from .runner import run
from .store import StoreError

__all__ = [
    "USER_ERRORS",
    "build_parser",
    "deferred_interrupts",
    "error_line",
    "exit_status",
    "handle_interrupts",
    "ignore_further_interrupts",
    "main",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fovex evaluate", description="Run an evaluation config into a resumable result store."
    )
    parser.add_argument("config", help="evaluation config (YAML), e.g. configs/smoke.yaml")
    parser.add_argument("--out", default=None, help="result directory (default: the config's output_dir)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar and no summary table")
    parser.add_argument("--overwrite", action="store_true", help="delete results of a different config in --out first")
    parser.add_argument("--device", default=None, help="override the config's device (auto, cpu, cuda, cuda:N, mps)")
    return parser


#: The signals that have stopped this command: a second one of a kind is not raised again.
_received: set[int] = set()


def _interrupt(signum, frame):
    """SIGINT (Ctrl-C) and SIGTERM (e.g. from torchrun or a scheduler) unwind the command as
    KeyboardInterrupt, so temporary files are removed; a second one while it unwinds and exits (a
    second Ctrl-C) is ignored instead of interrupting the clean-up, or PyTorch's exit handlers with a
    traceback."""
    if signum in _received:
        return
    _received.add(signum)
    raise KeyboardInterrupt(f"signal {signum}")


def ignore_further_interrupts() -> None:
    """Once a command has stopped on an interrupt (and said so), further SIGINTs and SIGTERMs are ignored
    while the process exits: also past Python's own clean-up, where a handler would be reset and a second
    Ctrl-C would kill the process with another status than 130."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)


def handle_interrupts() -> None:
    """SIGINT and SIGTERM raise KeyboardInterrupt (once each), whatever this process inherited.

    A shell starts background jobs with SIGINT ignored, and Python then keeps ignoring it: without
    this, ``kill -INT`` (or Ctrl-C forwarded by a job manager) would let such a run carry on to the
    end instead of stopping between batches with exit status 130 as documented.
    """
    if threading.current_thread() is threading.main_thread():
        _received.clear()
        signal.signal(signal.SIGINT, _interrupt)
        signal.signal(signal.SIGTERM, _interrupt)


#: What a run can fail with that is the user's (or the machine's) to fix, not a bug: exit status 2 and
#: one line. ``OSError`` covers a missing file, a read-only or full disk, a file where a folder should be
#: (writes raise :class:`fovex.files.OutputError`, which names the file and the reason).
USER_ERRORS = (ConfigError, EvaluationError, StoreError, OSError)


def error_line(error: BaseException) -> str:
    """``error`` for the user: an ``OSError`` from the system as ``FILE: reason`` (not ``[Errno 13] ...``),
    others as their message."""
    if isinstance(error, OSError) and type(error).__str__ is OSError.__str__ and error.strerror:
        where = f"{error.filename}: " if error.filename else ""
        text = f"{where}{error.strerror}"
    else:
        text = str(error) or type(error).__name__
    return text


@contextlib.contextmanager
def deferred_interrupts():
    """Hold SIGINT and SIGTERM while the ``with`` body writes files that belong together.

    A signal that arrives meanwhile is delivered when the body is done (with :func:`handle_interrupts`:
    as :class:`KeyboardInterrupt`), so an interrupted command leaves all of the body's files or none
    (e.g. ``fovex explain``'s figure and arrays of one image). Outside the main thread (where Python
    delivers no signals) it does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {signum: signal.signal(signum, lambda signum, frame: received.append(signum)) for signum in signals}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if received:  # delivered now, to the handler the command had (handle_interrupts': KeyboardInterrupt)
        signal.raise_signal(received[0])


def exit_status(prog: str, action, errors: tuple = USER_ERRORS) -> int:
    """Run ``action()`` as a command: 0 done, 2 one line for a user error, 130 interrupted (resumable)."""
    handle_interrupts()
    try:
        action()
    except errors as error:
        print(f"{prog}: error: {error_line(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        ignore_further_interrupts()
        print(f"{prog}: interrupted; finished batches are kept, rerun the same command to resume", file=sys.stderr)
        return 130
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return exit_status(
        "fovex evaluate",
        lambda: run(args.config, args.out, quiet=args.quiet, overwrite=args.overwrite, device=args.device),
    )

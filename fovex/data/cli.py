"""``fovex data ...`` commands: ``fetch NAME``, ``list``, ``where NAME``.

The project's CLI forwards ``fovex data <args>`` to :func:`main` (``main(argv)`` returns an exit
code) or hands its parsed namespace to :func:`cli_main`; ``python -m fovex.data`` runs it directly.
:func:`build_parser` can also populate the project's own ``data`` sub-parser.
"""

from __future__ import annotations

import argparse
import logging
import sys

__all__ = ["build_parser", "main", "cli_main"]


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """Add the ``data`` sub-commands to ``parser`` (a new one when None) and return it."""
    from .download import REGISTRY

    parser = parser or argparse.ArgumentParser(prog="fovex data", description="Find and download FovEx data sets.")
    root_help = "data root (default: $FOVEX_DATA or ~/.cache/fovex)"
    parser.add_argument("--data-root", default=None, help=root_help)
    # Also accepted after the sub-command; SUPPRESS keeps a value given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-root", default=argparse.SUPPRESS, help=root_help)
    commands = parser.add_subparsers(dest="command", required=True)
    fetch = commands.add_parser("fetch", parents=[common], help="download, verify and extract a public data set")
    fetch.add_argument("name", help=f"one of {', '.join(sorted(REGISTRY))} (ImageNet: prints manual instructions)")
    fetch.add_argument("--no-progress", action="store_true", help="no progress bar")
    fetch.add_argument("--keep-archives", action="store_true", help="keep the downloaded archives after extraction")
    fetch.add_argument(
        "--checksum",
        action="append",
        default=[],
        metavar="FILE=ALGO:HEX",
        help="pin an archive's checksum, e.g. ALLSTIMULI.zip=sha256:<hex> (repeatable)",
    )
    commands.add_parser("list", parents=[common], help="list the data sets and where each is found")
    where = commands.add_parser("where", parents=[common], help="print the folder of a data set")
    where.add_argument("name")
    return parser


def _checksums(pairs: list[str]) -> dict[str, str]:
    result = {}
    for pair in pairs:
        filename, separator, value = pair.partition("=")
        if not separator or not filename or not value:
            raise ValueError(f"--checksum {pair!r}: expected FILE=sha256:HEX")
        result[filename] = value
    return result


def main(argv: list[str] | None = None) -> int:
    """Run ``fovex data`` with ``argv`` (without the leading ``data``); returns the exit code."""
    from . import DATASETS, DatasetNotFoundError, fetch, find_dataset
    from .download import ArchiveError, DownloadError

    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        if args.command == "fetch":
            folder = fetch(
                args.name,
                args.data_root,
                progress=not args.no_progress,
                checksums=_checksums(args.checksum),
                keep_archives=args.keep_archives,
            )
            print(folder)
        elif args.command == "where":
            print(find_dataset(args.name, args.data_root))
        else:
            for name, spec in DATASETS.items():
                if spec.detect is None:
                    print(f"{name:16s} package data")
                    continue
                try:
                    print(f"{name:16s} {find_dataset(name, args.data_root)}")
                except DatasetNotFoundError:
                    print(f"{name:16s} missing ({spec.how_to_get.splitlines()[0]})")
    except (DatasetNotFoundError, DownloadError, ArchiveError, ValueError, KeyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # a full disk, a read-only data root: the machine's to fix (one line, status 2)
        where = f"{error.filename}: " if error.filename else ""
        print(f"error: {where}{error.strerror or error}", file=sys.stderr)
        return 2
    return 0


def cli_main(args) -> int:
    """Run from an argv list or from an ``argparse.Namespace`` parsed by the project's ``fovex`` CLI.

    The namespace needs the sub-command in ``data_command`` (or ``command``) and, as they apply,
    ``name``, ``data_root``, ``no_progress``, ``keep_archives``, ``checksum`` (missing ones take defaults).
    """
    if args is None or isinstance(args, (list, tuple)):
        return main(None if args is None else list(args))
    command = getattr(args, "data_command", None) or getattr(args, "command", None)
    argv = [command]
    if getattr(args, "data_root", None):
        argv += ["--data-root", str(args.data_root)]
    if command in ("fetch", "where"):
        argv.append(args.name)
    if command == "fetch":
        argv += ["--no-progress"] if getattr(args, "no_progress", False) or getattr(args, "quiet", False) else []
        argv += ["--keep-archives"] if getattr(args, "keep_archives", False) else []
        for pin in getattr(args, "checksum", None) or []:
            argv += ["--checksum", pin]
    return main(argv)

"""The ``fovex`` command line.

fovex explain IMAGE... [--model efficientnet_lite0] [--target CLASS] [--out DIR] [--device cpu]
    exit status: 0 every image explained; 1 some image failed (one line each, the others go on);
    2 a bad command (model, weights, settings, --out), found before any work; 130 interrupted
fovex data fetch mit1003|voc2012 [--data-root DIR] | fovex data list | fovex data where NAME
fovex evaluate CONFIG.yaml [--out DIR]   (default: the config's output_dir)
fovex study run|export|status|choose [RUN ...]
fovex book [--profile quick] [--only NOTEBOOK ...] [--overwrite] [-p NAME VALUE ...]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

__all__ = ["main"]


def _safe_stem(path: Path) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", path.stem) or "image"


def _explained_by(out: Path, stem: str) -> str | None:
    """The model whose explanation ``out/stem.npz`` holds (None: no such file, or not one fovex wrote)."""
    import numpy as np

    try:
        with np.load(out / f"{stem}.npz") as arrays:
            return str(arrays["model"])
    except (OSError, KeyError, ValueError):
        return None


def _output_stem(out: Path, stem: str, used: set[str], overwrite: bool, model: str) -> str:
    """``stem``, or ``stem-<model>`` when ``out`` holds ``stem``'s explanation by another model (never
    replaced, not even with ``overwrite``); then ``-2``, ``-3``, ... when this call already wrote that
    name, or (without ``overwrite``) an earlier run left it: outputs never replace each other silently."""
    other = _explained_by(out, stem)
    base = f"{stem}-{re.sub(r'[^A-Za-z0-9._-]+', '_', model)}" if other is not None and other != model else stem
    candidate, number = base, 1
    while candidate in used or (
        not overwrite and any((out / f"{candidate}{suffix}").exists() for suffix in (".png", ".npz"))
    ):
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def _explain(args) -> int:
    from .evaluation.command import handle_interrupts, ignore_further_interrupts
    from .explain import FovEx
    from .explain.base import class_index
    from .files import writable_folder
    from .models import load_model

    handle_interrupts()  # also when started as a background job (SIGINT inherited ignored)
    weights = None if args.weights == "none" else args.weights
    out = Path(args.out)
    try:
        try:  # everything that can be wrong with the command is found before any work
            if not args.out.strip():
                raise ValueError('--out "" is empty text: name a folder (--out . for the current one)')
            writable_folder(out)
            model = load_model(args.model, weights=weights, device=args.device)
            explainer = FovEx(model, fixations=args.fixations, steps=args.steps, seed=args.seed)
            args.target = None if args.target is None else class_index(model, args.target)
        except (RuntimeError, ValueError, FileNotFoundError, OSError) as error:
            print(f"fovex: error: {error}", file=sys.stderr)
            return 2
        return _explain_files(args, model, explainer, out, args.size or model.input_size)
    except KeyboardInterrupt:
        ignore_further_interrupts()
        print("fovex: interrupted; the outputs written so far are complete", file=sys.stderr)
        return 130


def _explain_files(args, model, explainer, out: Path, size: int) -> int:
    import torch
    from tqdm.auto import tqdm

    from .evaluation.command import deferred_interrupts
    from .files import atomic_write_bytes, save_npz
    from .io import ImageLoadError, load_image
    from .viz import explanation_figure, figure_to_png

    failures = 0
    used_names: set[str] = set()
    for path in tqdm([Path(p) for p in args.images], desc="explaining", unit="image", disable=args.quiet):
        try:
            image = load_image(path, size).to(args.device)
            with torch.no_grad():
                probabilities = model(image[None]).softmax(dim=1)[0]
            top5 = probabilities.topk(5)
            explanation = explainer.explain(image[None], None if args.target is None else [args.target])
        except (ImageLoadError, ValueError, OSError) as error:
            failures += 1
            tqdm.write(f"fovex: error: {error}", file=sys.stderr)
            continue
        target = int(explanation.targets[0])
        lines = [f"{path}:"]
        lines += [
            f"  {rank}. {model.class_names[i]} ({int(i)}) p={float(p):.3f}"
            for rank, (p, i) in enumerate(zip(top5.values, top5.indices), start=1)
        ]
        lines.append(f"  explained: {model.class_names[target]} ({target}) p={float(probabilities[target]):.3f}")
        tqdm.write("\n".join(lines))

        stem = _output_stem(out, _safe_stem(path), used_names, args.overwrite, model.name)
        used_names.add(stem)
        if stem != _safe_stem(path):
            owner = _explained_by(out, _safe_stem(path))
            why = f"holds {owner}'s explanation" if owner not in (None, model.name) else "is taken"
            tqdm.write(
                f"  written as {stem}.png / {stem}.npz ({_safe_stem(path)} {why}; "
                "--overwrite replaces earlier outputs of the same model)"
            )
        figure = explanation_figure(
            image.cpu(),
            explanation.attribution[0].cpu(),
            explanation.fixations_xy[0].cpu(),
            title=f"{path.name}: {model.class_names[target]} ({model.name})",
        )
        png = figure_to_png(figure, dpi=110)
        with deferred_interrupts():  # an image's arrays and figure are written both or neither
            save_npz(
                out / f"{stem}.npz",
                attribution=explanation.attribution[0].cpu().numpy(),
                fixations_xy=explanation.fixations_xy[0].cpu().numpy(),
                losses=explanation.losses[0].cpu().numpy(),
                target=target,
                image_size=size,
                model=model.name,
                source=str(path),
            )
            atomic_write_bytes(out / f"{stem}.png", png)
    if failures:
        print(f"fovex: {failures} of {len(args.images)} image(s) failed", file=sys.stderr)
    return 1 if failures else 0


def _evaluate(args) -> int:
    from .evaluation.command import main as evaluate_main

    argv = [str(args.config)] + (["--out", str(args.out)] if args.out is not None else [])
    argv += ["--quiet"] * args.quiet + ["--overwrite"] * args.overwrite
    argv += ["--device", args.device] if args.device else []
    return evaluate_main(argv)


def _export(args) -> int:
    from .evaluation.command import USER_ERRORS, error_line
    from .evaluation.store import export_results

    try:
        provenance = export_results(args.run, args.csv, args.columns)
    except (*USER_ERRORS, ValueError) as error:
        print(f"fovex export: error: {error_line(error)}", file=sys.stderr)
        return 2
    print(
        f"{args.csv}: {provenance['rows']} rows ({provenance.get('status')} run {provenance['config'].get('name')}); "
        f"provenance in {Path(args.csv).with_suffix('.json')}"
    )
    return 0


def _study(args) -> int:
    import pandas as pd

    from .evaluation.command import USER_ERRORS, exit_status
    from .evaluation.store import StoreError
    from .study import compute_study, export_study, record_variant_choice, study_attempts, study_cost, study_status

    def action():
        if args.action == "run":
            from .devices import device_problem

            if args.device is not None and device_problem(args.device):  # before any run is restored or computed
                raise ValueError(f"--device {args.device}: {device_problem(args.device)}")
            compute_study(args.runs, quiet=args.quiet, device=args.device)
        elif args.action == "export":
            try:
                exported = export_study(args.runs)
            except OSError as error:  # e.g. a read-only book/measurements: say where, in one line
                if isinstance(error, FileNotFoundError) or not error.filename:
                    raise
                folder = Path(error.filename).parent
                raise StoreError(f"cannot write into {folder} ({error.strerror or error})") from None
            for name, provenance in exported.items():
                print(
                    f"{name}: {provenance['images']} images, {provenance['rows']} rows "
                    f"({provenance.get('status')}) exported"
                )
        elif args.action == "choose":
            choice = record_variant_choice()
            print(
                f"variant chosen on {len(choice['development_photos'])} development photos: "
                f"{choice['choice'] or 'none meets the rule'} (recorded in book/measurements/study-variant-choice.json)"
            )
        else:
            print(study_status(runs=args.runs).to_string())
            attempts = study_attempts(args.runs)
            with pd.option_context("display.width", 250, "display.max_colwidth", 120):
                print("\nattempts (the code of each run's rows; clean: no uncommitted changes):")
                print(attempts.to_string(index=False))
            cost = study_cost(prefer="run")
            cost = cost[cost.index.isin(args.runs)] if args.runs else cost
            print(f"\ncost (hours of one core, from the seconds the rows record):\n{cost.round(2).to_string()}")
            print(f"total: {cost['hours'].sum():.1f} hours spent, {cost['hours_left'].sum():.1f} left (runs with rows)")

    return exit_status("fovex study", action, USER_ERRORS + (ValueError, FileExistsError))


def _book(args) -> int:
    from .study.book import command

    return command(args)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _image_size(text: str) -> int:
    from .explain.base import MIN_IMAGE_PX

    value = _positive_int(text)
    if value < MIN_IMAGE_PX:
        raise argparse.ArgumentTypeError(f"must be >= {MIN_IMAGE_PX} pixels, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    from .models import list_models

    parser = argparse.ArgumentParser(prog="fovex", description="Foveation-based explanations of image classifiers.")
    commands = parser.add_subparsers(dest="command", required=True)

    explain = commands.add_parser("explain", help="explain images with FovEx; writes PNG figures and .npz arrays")
    explain.add_argument("images", nargs="+", help="image files")
    explain.add_argument("--model", default="efficientnet_lite0", choices=list_models())
    explain.add_argument("--weights", default="default", help="'default' (ImageNet), a checkpoint path, or 'none'")
    explain.add_argument("--target", default=None, help="class index or ImageNet class name (default: top-1)")
    explain.add_argument("--out", default="fovex-out", help="output directory (default: fovex-out)")
    explain.add_argument("--device", default="cpu")
    explain.add_argument(
        "--size", type=_image_size, default=None, help="input size in pixels, >= 32 (default: the model's)"
    )
    explain.add_argument("--fixations", type=_positive_int, default=10, help="T, fixations per scanpath (default 10)")
    explain.add_argument(
        "--steps", type=_positive_int, default=20, help="K, optimisation steps per fixation (default 20)"
    )
    explain.add_argument("--seed", type=int, default=42)
    explain.add_argument("--quiet", action="store_true", help="no progress bar")
    explain.add_argument(
        "--overwrite",
        action="store_true",
        help="replace outputs an earlier run left under the same names (default: write NAME-2, ...)",
    )
    explain.set_defaults(handler=_explain)

    # `fovex data ...` is forwarded whole to fovex.data.cli (fetch, list, where); listed here for --help.
    commands.add_parser("data", help="fetch, list and locate data sets (fovex data --help)", add_help=False)

    evaluate = commands.add_parser("evaluate", help="run an evaluation config into a resumable result store")
    evaluate.add_argument("config", type=Path)
    # text, not a Path: an empty --out is refused, not read as "."
    evaluate.add_argument("--out", default=None, help="result directory (default: the config's output_dir)")
    evaluate.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    evaluate.add_argument("--overwrite", action="store_true", help="replace another config's results in --out")
    evaluate.add_argument("--device", default=None, help="override the config's device (not part of its hash)")
    evaluate.set_defaults(handler=_evaluate)

    export = commands.add_parser(
        "export", help="write a run's rows as CSV plus its provenance (.json), e.g. for the book"
    )
    export.add_argument("run", type=Path, help="result directory of `fovex evaluate`")
    export.add_argument("csv", type=Path, help="output table; the provenance goes next to it as .json")
    export.add_argument("--columns", nargs="*", default=None, help="keep only these columns (default: all)")
    export.set_defaults(handler=_export)

    study = commands.add_parser("study", help="compute, export or inspect the study's runs (configs/study/)")
    study.add_argument(
        "action",
        choices=["run", "export", "status", "choose"],
        help="run: compute or resume; export: write book/measurements/study-*.csv; status: N reached, every "
        "attempt's commit, clean tree and rows, and hours; "
        "choose: record the map variant chosen on the development photos (once)",
    )
    study.add_argument("runs", nargs="*", help="run names (default: all, in the study's order)")
    study.add_argument("--quiet", action="store_true", help="no progress bars")
    study.add_argument("--device", default=None, help="override the configs' device (not part of their hash)")
    study.set_defaults(handler=_study)

    book = commands.add_parser("book", help="execute the study's notebooks (papermill) and build the Jupyter Book")
    from .study.book import add_arguments

    add_arguments(book)
    book.set_defaults(handler=_book)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["data"]:
        from .data.cli import main as data_main

        return data_main(argv[1:])
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())

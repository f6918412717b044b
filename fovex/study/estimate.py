"""How long the active study's runs will take here, said before they start, and where they run.

:func:`estimate_study` measures this machine's time for one forward and one forward+backward pass of each
model (random weights at the model's input size: speed does not depend on weight values), counts the passes
each run still needs (every explainer's passes per image, :meth:`fovex.explain.Explainer.cost`, and the
metrics' passes: %Drop/%Increase one, insertion and deletion one per step and one more each), and multiplies.
:func:`compute_study_here` prints that estimate, then computes the runs: in this process, or across every
GPU of the machine through torchrun (the engine shares batches among ranks) when there are several.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from .paths import REPO_ROOT

__all__ = ["FULL_SIZES", "compute_study_here", "estimate_study", "metric_passes", "pass_seconds", "study_passes"]

#: The images of each full data set a study may name without ``num_images``: ImageNet val, PASCAL VOC 2012
#: val (each explanation is one (image, class) pair, so a VOC run explains at least this many), MIT1003.
FULL_SIZES = {"imagenet-val": 50_000, "voc2012": 1_449, "mit1003": 1_003}


def pass_seconds(model, device: str = "auto", batch_size: int = 2, repeats: int = 1) -> tuple[float, float]:
    """Seconds per image of one forward pass and of one forward+backward pass (input gradient only) of
    ``model`` (a name, or a loaded classifier) on ``device`` at ``batch_size``: the best of ``repeats`` after
    one warm-up."""
    import torch

    from ..devices import resolve_device, synchronize
    from ..models import load_model

    device = resolve_device(device)
    model = load_model(model, weights=None, device=device) if isinstance(model, str) else model.to(device)
    images = torch.rand(batch_size, 3, model.input_size, model.input_size, device=device)

    def forward():
        with torch.no_grad():
            model(images)

    def forward_backward():
        x = images.clone().requires_grad_(True)
        model(x).logsumexp(dim=1).sum().backward()

    timings = []
    for step in (forward, forward_backward):
        best = float("inf")
        for _ in range(repeats + 1):
            synchronize(device)
            start = time.perf_counter()
            step()
            synchronize(device)
            best = min(best, time.perf_counter() - start)
        timings.append(best / batch_size)
    return timings[0], timings[1]


def metric_passes(config) -> int:
    """Forward passes per image and explainer that a run's metrics spend (faithfulness: %Drop/%Increase one,
    insertion and deletion ``steps + 1`` each; the other families score maps without the model)."""
    from ..evaluation import load_config

    config = load_config(config)
    passes = 0
    metrics = set(config.metrics)
    if "drop_increase" in metrics:
        passes += 1
    step = config.metric_settings.faithfulness.step
    size = config.dataset.image_size or 224
    steps = 224 if step is None else -(-size * size // step)
    passes += (steps + 1) * len(metrics & {"insertion", "deletion"})
    return passes


def study_passes(study=None, root: Path = REPO_ROOT) -> pd.DataFrame:
    """Per run of ``study`` (default: the active one): its model, images (``num_images``, else the full data
    set's, :data:`FULL_SIZES`), and the forward and backward passes one image costs (every explainer's
    passes, :meth:`fovex.explain.Explainer.cost`, plus the metrics', :func:`metric_passes`). No data is read."""
    from ..evaluation import load_config
    from ..evaluation.plan import build_explainers
    from ..models import load_model
    from .studies import active_study, run_config

    study = study or active_study(root)
    models, rows = {}, []
    for name in study.runs:
        config = load_config(run_config(name, study, root))
        spec = config.dataset
        images = spec.num_images if spec.num_images is not None else FULL_SIZES.get(spec.name)
        for entry in config.models:
            if entry.name not in models:
                models[entry.name] = load_model(entry.name, weights=None)
            explainers = [e for e in build_explainers(config, models[entry.name], entry.label) if e is not None]
            costs = [e.cost() for e in explainers]
            forward = sum(f for f, _ in costs) + metric_passes(config) * len(costs) + 1  # + the target's pass
            backward = sum(b for _, b in costs)
            rows.append({"run": name, "model": entry.name, "images": images, "forward": forward, "backward": backward})
    return pd.DataFrame(rows, columns=["run", "model", "images", "forward", "backward"])


def estimate_study(device: str = "auto", root: Path = REPO_ROOT, overrides: dict | None = None) -> pd.DataFrame:
    """Per run of the active study that is not complete: its model, images left, passes per image, and the
    estimated hours on ``device`` at this machine's measured pass times. A run whose data set is absent has
    no estimate (NaN) and says so in ``note``."""
    from ..evaluation import load_config
    from ..evaluation.plan import build_explainers, plan_models
    from ..evaluation.store import load_first_available
    from ..models import load_model
    from .paths import run_dir, run_names
    from .runs import study_config

    timings, rows = {}, []
    for name in run_names(None, root):
        try:
            config = load_config(study_config(name, root, overrides))
        except ValueError:  # a derived table (map variants): no config of its own
            continue
        found = load_first_available([run_dir(name, root)]) if run_dir(name, root).is_dir() else None
        done = 0 if found is None else found[0]["image_id"].nunique()
        for entry in config.models:
            try:
                total = len(plan_models(config)[0].selection)
            except Exception as error:  # the data set is absent: no estimate, and why
                rows.append({"run": name, "model": entry.label, "images left": None, "hours": float("nan"),
                             "note": str(error).splitlines()[0][:120]})  # fmt: skip
                continue
            if entry.name not in timings:
                model = load_model(entry.name, weights=None)
                timings[entry.name] = (model, *pass_seconds(model, device))
            model, forward, both = timings[entry.name]
            explainers = [e for e in build_explainers(config, model, entry.label) if e is not None]
            cost = [e.cost() for e in explainers]
            backward = both - forward
            per_image = sum(f * forward + b * backward for f, b in cost) + metric_passes(config) * forward * len(cost)
            left = max(total - done, 0)
            rows.append(
                {"run": name, "model": entry.label, "images left": left, "hours": left * per_image / 3600, "note": ""}
            )
    return pd.DataFrame(rows, columns=["run", "model", "images left", "hours", "note"])


def compute_study_here(device: str | None = None, overrides: dict | None = None, root: Path = REPO_ROOT) -> None:
    """Compute (or resume) the active study's runs, after printing how long they will take here
    (:func:`estimate_study`); across every GPU through torchrun when the machine has several (and the
    runs take no overrides, which a new process would not see)."""
    import torch

    from ..devices import resolve_device
    from . import compute_study  # looked up at call time (tests stand in for it)
    from .studies import active_study

    study = active_study(root)
    chosen = resolve_device(device or "auto")
    if not study.exported:  # the committed study resumes from its exports: its rate is in `fovex study status`
        estimate = estimate_study(str(chosen), root, overrides)
        if len(estimate):
            hours = estimate["hours"].sum()
            print(
                f"study {study.name}: about {hours:.1f} hours of work left on {chosen} (estimated from this "
                "machine's measured pass times, one process):",
                flush=True,
            )
            print(estimate.to_string(index=False), flush=True)
    gpus = torch.cuda.device_count() if chosen.type == "cuda" else 0
    if gpus > 1 and not overrides:
        print(f"study {study.name}: running on all {gpus} GPUs (torchrun, one rank per GPU)", flush=True)
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={gpus}"]
        command += ["-m", "fovex.cli", "study", "run"]
        command += ["--device", device] if device else []
        subprocess.run(command, cwd=root, env=os.environ.copy(), check=True)
        return
    compute_study(root=root, quiet=False, device=device, overrides=overrides)

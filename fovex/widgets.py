"""The interactive explorer: pick an image, a model, an explainer and a target, replay the scanpath.

:class:`Explorer` is an ipywidgets interface. Its callbacks are plain methods that read the widget
values and call :meth:`Explorer.refresh`, so it runs headless: setting ``explorer.explainer_dropdown.value``
in a test does what a click does in Jupyter. Explanations are cached per
``(image, model, explainer, target)``; moving the "fixations shown" slider only re-renders.

Figures come from :func:`fovex.viz.new_figure` (matplotlib's Agg canvas, without pyplot): PNG bytes
that depend neither on a display nor on the notebook's backend. :func:`replay_figure` draws the
replay frames side by side; :mod:`fovex.study.explorer_page` renders every view of an :class:`Explorer`
ahead of time for pages without a kernel.

Size: one class, the live explorer (its widgets, cache, callbacks and the two drawings it shows);
splitting it would separate the callbacks from the state they change.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .explain import Explanation, display_name, explainer, explainers, resolve_targets, scanpath_attribution
from .io import load_image
from .models import Classifier, load_model
from .viz import (
    PAGE_WIDTH_IN,
    figure_to_png,
    new_figure,
    plot_attribution,
    plot_scanpath,
    set_suptitle,
    to_numpy_image,
    wrap_text,
)

__all__ = [
    "BASELINES_SHOWN",
    "Explorer",
    "default_explainers",
    "replay_attribution",
    "replay_figure",
]

TOP1 = "top-1"
# Baselines offered next to FovEx when registered (the others are either ViT-only or trivial).
BASELINES_SHOWN = ("gradcam", "gradcam++", "rise", "meaningful_perturbation")


def default_explainers() -> list[str]:
    """``"fovex"`` plus the registered ones of :data:`BASELINES_SHOWN`."""
    available = set(explainers())
    return ["fovex"] + [name for name in BASELINES_SHOWN if name in available]


# --- figures -----------------------------------------------------------------------------------


def _is_scanpath(explanation: Explanation) -> bool:
    return explanation.fixations_xy is not None


def replay_attribution(explanation: Explanation, upto: int, height: int, width: int) -> torch.Tensor:
    """The heat map (H, W) in [0, 1] of the first ``upto`` fixations of a one-image scanpath explanation.

    Rebuilt from the stored pixel fixations with the explainer's own ``heatmap_s`` and
    ``aggregation``, so ``upto = T`` gives back ``explanation.attribution[0]``.
    """
    if not _is_scanpath(explanation):
        raise ValueError(f"{explanation.method} has no scanpath to replay")
    settings = explanation.settings
    return scanpath_attribution(
        explanation.fixations_xy[:1],
        height,
        width,
        settings.get("heatmap_s", 0.15),
        settings.get("aggregation", "sum"),
        losses=explanation.losses[:1],
        blurred_loss=explanation.extras.get("blurred_loss", torch.zeros(1))[:1],
        upto=upto,
    )[0]


def _frame_counts(steps: int, n_frames: int | None) -> list[int]:
    """Fixation counts to show: all of 1..T, or ``n_frames`` of them evenly spread, first and last included."""
    if n_frames is None or n_frames >= steps:
        return list(range(1, steps + 1))
    if n_frames < 1:
        raise ValueError(f"n_frames must be >= 1, got {n_frames}")
    if n_frames == 1:
        return [steps]
    return sorted({int(round(v)) for v in np.linspace(1, steps, n_frames)})


def replay_figure(image: torch.Tensor, explanation: Explanation, n_frames: int | None = None, title: str = ""):
    """The scanpath replay as a static figure: for ``n_frames`` fixation counts n spread over 1..T
    (default: all of them up to six), the heat map of the first n fixations (top row) above the
    numbered scanpath up to n (bottom row), at the page's content width.

    An explanation without a scanpath gives the image and its attribution.
    """
    image = image.detach().cpu()
    if not _is_scanpath(explanation):
        figure, axes = new_figure(6.4, 3.6, 1, 2)
        axes = axes[0]
        axes[0].imshow(to_numpy_image(image))
        axes[0].set_axis_off()
        axes[0].set_title("image", fontsize=9)
        plot_attribution(axes[1], image, explanation.attribution[0].cpu())
        axes[1].set_title(wrap_text(f"{display_name(explanation.method)} attribution", 3.0, 9), fontsize=9)
    else:
        explanation = explanation[0].to("cpu")
        # At most six frames share the page's width by default, so each stays readable.
        steps = explanation.fixations_xy.shape[1]
        counts = _frame_counts(steps, n_frames if n_frames is not None else min(steps, 6))
        height, width = image.shape[-2:]
        side = PAGE_WIDTH_IN / len(counts)  # the frames share the content width
        figure, axes = new_figure(PAGE_WIDTH_IN, 2 * side + 0.6, 2, len(counts))
        for column, upto in enumerate(counts):
            plot_attribution(axes[0, column], image, replay_attribution(explanation, upto, height, width))
            label = f"{upto} fixation{'s' if upto > 1 else ''}"
            axes[0, column].set_title(wrap_text(label, side - 0.08, 9), fontsize=9)
            plot_scanpath(axes[1, column], image, explanation.fixations_xy[0], upto=upto)
    set_suptitle(figure, title, 10)
    return figure


def _explorer_figure(image: torch.Tensor, explanation: Explanation, upto: int, title: str):
    """What the widget shows: heat map of the first ``upto`` fixations and the scanpath up to them
    (scanpath explainers), or the image and its attribution (others)."""
    image = image.detach().cpu()
    figure, axes = new_figure(6.4, 3.6, 1, 2)
    axes = axes[0]
    if _is_scanpath(explanation):
        explanation = explanation[0].to("cpu")
        steps = explanation.fixations_xy.shape[1]
        height, width = image.shape[-2:]
        plot_attribution(axes[0], image, replay_attribution(explanation, upto, height, width))
        axes[0].set_title(f"heat map of fixations 1-{upto}" if upto > 1 else "heat map of fixation 1", fontsize=9)
        plot_scanpath(axes[1], image, explanation.fixations_xy[0], upto=upto)
        axes[1].set_title(f"scanpath, {upto} of {steps} fixations", fontsize=9)
    else:
        axes[0].imshow(to_numpy_image(image))
        axes[0].set_axis_off()
        axes[0].set_title("image", fontsize=9)
        plot_attribution(axes[1], image, explanation.attribution[0].cpu())
        axes[1].set_title(wrap_text(f"{display_name(explanation.method)} attribution", 3.0, 9), fontsize=9)
    set_suptitle(figure, title, 10)
    return figure


# --- the explorer ------------------------------------------------------------------------------


@dataclass
class CachedExplanation:
    """One computed explanation and what it cost."""

    explanation: Explanation
    seconds: float


_OPTION_PATTERN = re.compile(r"^(?P<name>.*)\((?P<index>\d+)\)\s*$")


def _parse_target(text: str):
    """Combobox text -> ``None`` (top-1), an int (``"name (index)"`` or ``"index"``) or a class name."""
    text = (text or "").strip()
    if text in ("", TOP1):
        return None
    match = _OPTION_PATTERN.match(text)
    if match:
        return int(match["index"])
    return int(text) if text.lstrip("-").isdigit() else text


class Explorer:
    """ipywidgets explorer of explanations (see the module docstring).

    Args:
        images: ``{name: tensor (3, H, W) in [0, 1] or image path}``, or a list of paths (named by
            file stem). Paths are loaded at the model's input size (or ``image_size``).
        models: ``{name: Classifier}``, or a list of registered model names, loaded on first use
            with :func:`fovex.load_model` and kept.
        explainers: registry names; default :func:`default_explainers`.
        explainer_settings: ``{explainer name: settings}``, e.g. quick settings for a book page.
        image_size: side in pixels for images given as paths; ``None``: the model's input size.
        device: where models loaded by name and images go.

    Attributes: the widgets (``image_dropdown``, ``model_dropdown``, ``explainer_dropdown``,
    ``target_box``, ``fixation_slider``, ``play``, ``image_widget``, ``status``), ``widget`` (the box to
    display), ``current`` (the shown :class:`~fovex.explain.Explanation`), ``cache`` and ``error``
    (the last failure's message, or ``None``).
    """

    def __init__(
        self,
        images: Mapping[str, torch.Tensor | str | os.PathLike] | Sequence[str | os.PathLike],
        models: Mapping[str, Classifier] | Sequence[str],
        explainers: Sequence[str] | None = None,
        explainer_settings: Mapping[str, Mapping] | None = None,
        image_size: int | None = None,
        device: str | torch.device = "cpu",
    ):
        import ipywidgets as widgets

        self.images = self._name_images(images)
        if isinstance(models, Mapping):
            self._models: dict[str, Classifier | None] = dict(models)
        else:
            self._models = {name: None for name in models}
        self.explainer_names = list(explainers) if explainers is not None else default_explainers()
        self.explainer_settings = {name: dict(s) for name, s in (explainer_settings or {}).items()}
        if not self.images or not self._models or not self.explainer_names:
            raise ValueError("the explorer needs at least one image, one model and one explainer")
        self.image_size = image_size
        from .devices import resolve_device

        self.device = resolve_device(device)  # "auto": a GPU when there is one

        self.cache: dict[tuple[str, str, str, int], CachedExplanation] = {}
        self._explainers = {}  # (model, explainer) -> Explainer
        self._tensors = {}  # (image, size) -> (3, H, W) on device
        self._probabilities = {}  # (image, model) -> (num_classes,) softmax of the clean image
        self.current: Explanation | None = None
        self.current_key: tuple[str, str, str, int] | None = None
        self.error: str | None = None
        self._syncing = False  # set while refresh() itself moves widgets, to ignore their echo

        self.image_dropdown = widgets.Dropdown(options=list(self.images), description="image")
        self.model_dropdown = widgets.Dropdown(options=list(self._models), description="model")
        self.explainer_dropdown = widgets.Dropdown(  # shows the book's names, holds the registry keys
            options=[(display_name(name), name) for name in self.explainer_names], description="explainer"
        )
        self.target_box = widgets.Combobox(
            value=TOP1,
            options=[TOP1],
            ensure_option=False,
            continuous_update=False,  # explain on Enter or blur, not on every keystroke
            placeholder="top-1, class name or index",
            description="target",
        )
        self.fixation_slider = widgets.IntSlider(value=1, min=1, max=1, description="fixations shown")
        self.play = widgets.Play(value=1, min=1, max=1, interval=700, description="replay")
        # Linked in the browser: playing moves the slider, whose change re-renders from the cache.
        widgets.jslink((self.play, "value"), (self.fixation_slider, "value"))
        self.image_widget = widgets.Image(format="png")
        self.status = widgets.Label()
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.image_dropdown, self.model_dropdown, self.explainer_dropdown]),
                widgets.HBox([self.target_box, self.play, self.fixation_slider]),
                self.image_widget,
                self.status,
            ]
        )
        for control in (self.image_dropdown, self.model_dropdown, self.explainer_dropdown, self.target_box):
            control.observe(self.on_selection_change, names="value")
        self.fixation_slider.observe(self.on_fixations_change, names="value")
        self.refresh()

    @staticmethod
    def _name_images(images) -> dict[str, torch.Tensor | Path]:
        if isinstance(images, Mapping):
            named = {
                str(name): value if isinstance(value, torch.Tensor) else Path(value) for name, value in images.items()
            }
            for name, value in named.items():
                if isinstance(value, torch.Tensor) and (value.ndim != 3 or value.shape[0] != 3):
                    raise ValueError(f"image {name!r} must be a (3, H, W) tensor, got {tuple(value.shape)}")
            return named
        named: dict[str, Path] = {}
        for path in map(Path, images):
            name, copy = path.stem, 2
            while name in named:  # same stem in two folders: keep both
                name, copy = f"{path.stem} ({copy})", copy + 1
            named[name] = path
        return named

    # --- callbacks -----------------------------------------------------------------------------

    def on_selection_change(self, change=None):
        """Image, model, explainer or target changed: explain (or fetch from the cache) and show."""
        if not self._syncing:
            self.refresh()

    def on_fixations_change(self, change=None):
        """The slider moved: re-render the replay from the cached explanation."""
        if not self._syncing:
            self.refresh()

    # --- state ---------------------------------------------------------------------------------

    def model(self, name: str | None = None) -> Classifier:
        """The selected (or named) model, loading it on first use."""
        name = name or self.model_dropdown.value
        if self._models[name] is None:
            self._models[name] = load_model(name, device=self.device)
        return self._models[name]

    def image(self, name: str | None = None, model_name: str | None = None) -> torch.Tensor:
        """The selected (or named) image as (3, H, W) for the selected (or named) model."""
        name = name or self.image_dropdown.value
        source = self.images[name]
        if isinstance(source, torch.Tensor):
            size = None
        else:
            size = self.image_size or self.model(model_name).input_size
        key = (name, size)
        if key not in self._tensors:
            tensor = source if isinstance(source, torch.Tensor) else load_image(source, size)
            self._tensors[key] = tensor.float().to(self.device)
        return self._tensors[key]

    def probabilities(self) -> torch.Tensor:
        """Softmax of the selected model on the selected clean image, (num_classes,)."""
        key = (self.image_dropdown.value, self.model_dropdown.value)
        if key not in self._probabilities:
            with torch.no_grad():
                logits = self.model()(self.image()[None])
            self._probabilities[key] = logits.softmax(dim=1)[0].cpu()
        return self._probabilities[key]

    def target_options(self) -> list[str]:
        """``"top-1"`` and the model's top-5 classes on the image as ``"name (index)"``."""
        probabilities = self.probabilities()
        names = self.model().class_names
        indices = probabilities.topk(min(5, probabilities.numel())).indices.tolist()
        return [TOP1] + [f"{names[i]} ({i})" for i in indices]

    def resolved_target(self) -> int:
        """The target box's class index: top-1 of the clean image, or the class entered."""
        target = _parse_target(self.target_box.value)
        if target is None:
            return int(self.probabilities().argmax())
        images = self.image()[None]
        return int(resolve_targets(self.model(), images, [target])[0][0])

    def _explainer(self):
        key = (self.model_dropdown.value, self.explainer_dropdown.value)
        if key not in self._explainers:
            settings = self.explainer_settings.get(key[1], {})
            self._explainers[key] = explainer(key[1], self.model(), **settings)
        return self._explainers[key]

    def _entry(self) -> tuple[tuple[str, str, str, int], CachedExplanation]:
        key = (
            self.image_dropdown.value,
            self.model_dropdown.value,
            self.explainer_dropdown.value,
            self.resolved_target(),
        )
        if key not in self.cache:
            started = time.perf_counter()
            explanation = self._explainer().explain(self.image()[None], [key[3]])
            self.cache[key] = CachedExplanation(explanation.to("cpu"), time.perf_counter() - started)
        return key, self.cache[key]

    @property
    def fixations_shown(self) -> int:
        return int(self.fixation_slider.value)

    # --- refresh and rendering -----------------------------------------------------------------

    def refresh(self):
        """Bring everything in line with the widget values: explanation, slider, target options, image."""
        try:
            key, entry = self._entry()
            options = self.target_options()
        except (ValueError, RuntimeError, FileNotFoundError) as error:
            # A bad target or an unloadable model: say so and keep showing the last good view.
            self.error = str(error)
            self.status.value = f"error: {error}"
            return
        self.error = None
        explanation = entry.explanation
        self._syncing = True
        try:
            self.target_box.options = options
            if _is_scanpath(explanation):
                steps = explanation.fixations_xy.shape[1]
                if key != self.current_key:
                    # A new scanpath starts fully shown; the slider then replays it from 1.
                    for control in (self.fixation_slider, self.play):
                        control.max = steps
                        control.value = steps
                self.fixation_slider.disabled = self.play.disabled = False
            else:
                self.fixation_slider.disabled = self.play.disabled = True
        finally:
            self._syncing = False
        self.current, self.current_key = explanation, key
        self.status.value = self._status_text(entry)
        self.image_widget.value = self.render_png()

    def _status_text(self, entry: CachedExplanation) -> str:
        explanation = entry.explanation
        target = int(explanation.targets[0])
        probability = float(self.probabilities()[target])
        return (
            f"target: {self._class_name(target)} ({target}), p = {probability:.3f} | "
            f"{explanation.passes} passes | {entry.seconds:.1f} s"
        )

    def _class_name(self, index: int) -> str:
        return self.model().class_names[index]

    def _settings_text(self) -> str:
        settings = self.explainer_settings.get(self.explainer_dropdown.value, {})
        return ", ".join(f"{k}={v}" for k, v in settings.items()) or "default settings"

    def title(self) -> str:
        """Model and image, then explainer with its settings, target and probability (two lines)."""
        target = int(self.current.targets[0])
        probability = float(self.probabilities()[target])
        method = display_name(self.explainer_dropdown.value)
        return (
            f"{self.model_dropdown.value} on {self.image_dropdown.value}\n{method} "
            f"({self._settings_text()}), target {self._class_name(target)} ({target}), p = {probability:.2f}"
        )

    def figure(self):
        """The figure the widget shows (matplotlib Figure on an Agg canvas)."""
        if self.current is None:
            raise RuntimeError(f"nothing to show: {self.error}")
        return _explorer_figure(self.image(), self.current, self.fixations_shown, self.title())

    def render_png(self) -> bytes:
        """PNG bytes of :meth:`figure` (what ``image_widget`` holds)."""
        return figure_to_png(self.figure())

    def static_figure(self, n_frames: int | None = None):
        """The current explanation's replay, frames side by side (see :func:`replay_figure`)."""
        if self.current is None:
            raise RuntimeError(f"nothing to show: {self.error}")
        return replay_figure(self.image(), self.current, n_frames, self.title())

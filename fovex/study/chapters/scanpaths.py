"""The scanpaths chapter's pieces (``notebooks/01_scanpaths.py``): the photos it explains, FovEx's
scanpath replayed fixation by fixation, the baselines' maps beside FovEx's, the two best classes of
one photo, and FovEx on other models.

Where the chapter shows one figure per photo or per model, a function returns them in order (lines as
:class:`fovex.study.chapters.Text`) for ``display(*parts)``.
"""

from __future__ import annotations

from . import Text

__all__ = [
    "baseline_maps",
    "class_names",
    "class_titles",
    "first_samples",
    "map_difference",
    "other_model_figures",
    "replay_figures",
    "stack_images",
    "top_two",
]


def first_samples(dataset, count: int) -> list:
    """The first ``count`` samples of ``dataset`` (all of them when it has fewer)."""
    return [dataset[i] for i in range(min(count, len(dataset)))]


def stack_images(samples: list, device: str = "cpu"):
    """The samples' images stacked on ``device`` (``"auto"``: a GPU when there is one): (N, 3, H, W)."""
    import torch

    from ...devices import resolve_device

    return torch.stack([sample.image for sample in samples]).to(resolve_device(device))


def class_names(model, targets) -> list[str]:
    """The model's name of each target class."""
    return [model.class_names[int(target)] for target in targets]


def replay_figures(images, explanation, samples: list, names: list[str], model_name: str) -> list:
    """Per photo: FovEx's scanpath replayed fixation by fixation (:func:`fovex.widgets.replay_figure`),
    titled with the photo and its explained class."""
    from ...widgets import replay_figure

    return [
        replay_figure(images[i], explanation[i], title=f"{samples[i].id}: {names[i]} ({model_name})")
        for i in range(len(samples))
    ]


def baseline_maps(model, images, targets, baselines: list[str], explainer_settings: dict) -> tuple[dict, str]:
    """Each of ``baselines`` registered here, run on ``images`` for ``targets`` with its
    ``explainer_settings``: name -> its maps (on the CPU), and a line per baseline not registered ("" when
    all are)."""
    import fovex

    available = fovex.explainers()
    maps, notes = {}, []
    for name in baselines:
        if name not in available:
            notes.append(f"{name}: not registered in this version of fovex, skipped")
            continue
        result = fovex.explainer(name, model, **explainer_settings.get(name, {})).explain(images, targets)
        maps[name] = result.attribution.cpu()
    return maps, "\n".join(notes)


def class_titles(model, classes) -> list[str]:
    """``"<name> (<index>)"`` of each class index."""
    return [f"{model.class_names[int(c)]} ({int(c)})" for c in classes]


def map_difference(explanation) -> float:
    """The mean absolute difference between the first two maps of ``explanation`` (0: the same map)."""
    return float((explanation.attribution[0] - explanation.attribution[1]).abs().mean())


def top_two(model, image):
    """The model's two best classes for one image (1, 3, H, W), best first: a tensor of 2 class indices."""
    import torch

    with torch.no_grad():
        return model(image).topk(2, dim=1).indices[0]


def other_model_figures(
    other_models: list[str], samples: list, fovex_settings: dict, dataset: str, device: str = "cpu"
) -> list:
    """Per model of ``other_models``: FovEx's maps and scanpaths on the same photos at that model's input
    size (:func:`fovex.viz.comparison_grid`), or a line saying its pretrained weights are not available."""
    import torch

    import fovex

    from ...devices import resolve_device
    from ...viz import comparison_grid

    parts = []
    for name in other_models:
        try:
            other = fovex.load_model(name, device=device)
        except RuntimeError as error:
            parts.append(Text(f"{name}: pretrained weights not available here, not shown.\n  {str(error)[:300]}"))
            continue
        images = torch.stack([fovex.load_image(sample.path, other.input_size) for sample in samples])
        images = images.to(resolve_device(device))
        result = fovex.explainer("fovex", other, **fovex_settings).explain(images)
        parts.append(
            comparison_grid(
                images.cpu(),
                {"fovex": result.attribution.cpu()},
                row_titles=class_names(other, result.targets),
                fixations_xy={"fovex": result.fixations_xy.cpu()},
                title=f"{name}, {dataset}",
            )
        )
    return parts

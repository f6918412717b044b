"""The explorer's callbacks, driven headless by setting widget values as a user's clicks would."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import REPO_ROOT, make_patch_classifier, make_textured_images
from PIL import Image

from fovex import FovEx
from fovex import widgets as widgets_module
from fovex.explain import base as explain_module
from fovex.foveation import pixels_to_normalized
from fovex.viz import figure_to_png
from fovex.widgets import Explorer, default_explainers, replay_attribution, replay_figure

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# lr 0.3 and 3 steps: enough for the synthetic classifier's scanpath to move between fixations.
QUICK_FOVEX = {"fixations": 3, "steps": 3, "lr": 0.3}
# The synthetic classifier at half size (its evidence patch scaled too): a quarter of the work.
SIZE = 112
PATCH_BOX_SMALL = (75, 15, 94, 34)


def small_patch_classifier():
    return make_patch_classifier(box=PATCH_BOX_SMALL, size=SIZE)


def small_textures(batch=1, seed=0):
    return make_textured_images(batch=batch, size=SIZE, seed=seed)


@pytest.fixture(scope="module")
def patch_images():
    textured = small_textures(batch=2)
    return {"texture A": textured[0], "texture B": textured[1]}


@pytest.fixture
def explorer(patch_images):
    # The synthetic classifier (class 1 = sharp texture in a known patch) keeps every explanation fast.
    return Explorer(
        patch_images,
        {"patch": small_patch_classifier()},
        explainers=["fovex", "gradcam"],
        explainer_settings={"fovex": QUICK_FOVEX},
    )


@pytest.fixture
def count_explains(monkeypatch):
    """Counts calls of Explainer.explain, i.e. real computations."""
    calls = []
    original = explain_module.Explainer.explain

    def counting(self, images, targets=None):
        calls.append((self.name, targets))
        return original(self, images, targets)

    monkeypatch.setattr(explain_module.Explainer, "explain", counting)
    return calls


def shown_png(explorer) -> bytes:
    """What the Image widget holds (ipywidgets keeps it as a memoryview)."""
    return bytes(explorer.image_widget.value)


def scanpath_numbers(figure) -> list[str]:
    """Fixation numbers drawn on the figure's scanpath panel (the second axes)."""
    return [text.get_text() for text in figure.axes[1].texts]


def test_default_explainers_are_fovex_and_registered_baselines():
    assert default_explainers() == ["fovex", "gradcam", "gradcam++", "rise", "meaningful_perturbation"]


def test_initial_view_is_the_full_fovex_scanpath(explorer):
    assert explorer.current.method == "fovex"
    assert explorer.current.fixations_xy.shape == (1, 3, 2)
    slider = explorer.fixation_slider
    assert (slider.min, slider.max, slider.value, slider.disabled) == (1, 3, 3, False)
    assert len(explorer.cache) == 1
    assert shown_png(explorer).startswith(PNG_SIGNATURE)
    assert shown_png(explorer) == explorer.render_png()
    assert explorer.status.value.startswith("target: patch (1), p = ")
    assert "passes" in explorer.status.value
    assert explorer.error is None


def test_render_png_is_deterministic(explorer):
    assert explorer.render_png() == explorer.render_png()


def test_slider_replays_from_the_cache(explorer, count_explains):
    pngs = {}
    for shown in (1, 2, 3, 1):
        explorer.fixation_slider.value = shown
        assert shown_png(explorer) == explorer.render_png()
        pngs[shown] = shown_png(explorer)
        assert scanpath_numbers(explorer.figure()) == [str(i) for i in range(1, shown + 1)]
    assert count_explains == []  # the slider never recomputes
    assert len(explorer.cache) == 1
    assert len(set(pngs.values())) == 3


def test_heat_map_of_first_fixation_peaks_there(explorer):
    explorer.fixation_slider.value = 1
    explanation = explorer.current
    heat = replay_attribution(explanation, 1, SIZE, SIZE)
    row, col = np.unravel_index(int(heat.argmax()), heat.shape)
    x, y = explanation.fixations_xy[0, 0].tolist()
    assert abs(col - x) <= 1 and abs(row - y) <= 1
    # The figure's overlay is that map.
    overlay = explorer.figure().axes[0].images[-1].get_array()
    np.testing.assert_allclose(np.asarray(overlay), heat.numpy(), atol=1e-6)


@pytest.mark.parametrize("aggregation", ["sum", "max", "loss_weighted"])
def test_replay_of_all_fixations_is_the_attribution(aggregation):
    model = small_patch_classifier()
    images = small_textures()
    explanation = FovEx(model, aggregation=aggregation, heatmap_s=0.1, **QUICK_FOVEX).explain(images, [1])
    replayed = replay_attribution(explanation, 3, SIZE, SIZE)
    torch.testing.assert_close(replayed, explanation.attribution[0], atol=1e-5, rtol=0)
    first_only = replay_attribution(explanation, 1, SIZE, SIZE)
    if aggregation == "loss_weighted":
        # Here the first fixation removes all the loss: the later ones weigh nothing.
        assert explanation.losses[0, 1:].abs().max() < 1e-5
        torch.testing.assert_close(first_only, replayed, atol=1e-5, rtol=0)
    else:
        # The later fixations add heat elsewhere.
        assert not torch.allclose(first_only, replayed, atol=1e-3)
    with pytest.raises(ValueError, match="upto"):
        replay_attribution(explanation, 4, SIZE, SIZE)


def test_non_scanpath_explainer_disables_slider_and_is_cached(explorer, count_explains):
    fovex_explanation, fovex_png = explorer.current, shown_png(explorer)
    explorer.explainer_dropdown.value = "gradcam"
    assert explorer.current.method == "gradcam"
    assert explorer.current.fixations_xy is None
    assert explorer.fixation_slider.disabled and explorer.play.disabled
    assert shown_png(explorer) != fovex_png
    assert scanpath_numbers(explorer.figure()) == []
    assert len(explorer.cache) == 2
    explorer.explainer_dropdown.value = "fovex"
    assert explorer.current is fovex_explanation  # fetched, not recomputed
    assert not explorer.fixation_slider.disabled and explorer.fixation_slider.max == 3
    assert shown_png(explorer) == fovex_png
    assert [name for name, _ in count_explains] == ["gradcam"]


def test_target_options_and_target_changes(explorer):
    assert list(explorer.target_box.options) == ["top-1", "patch (1)", "plain (0)"]
    explorer.target_box.value = "plain (0)"
    assert explorer.current.targets.tolist() == [0]
    assert explorer.status.value.startswith("target: plain (0)")
    assert len(explorer.cache) == 2
    # A class name, typed in, that is the top-1 class: the top-1 explanation, from the cache.
    explorer.target_box.value = "patch"
    assert explorer.current.targets.tolist() == [1]
    assert explorer.current is explorer.cache[("texture A", "patch", "fovex", 1)].explanation
    assert len(explorer.cache) == 2
    explorer.target_box.value = "0"
    assert explorer.current.targets.tolist() == [0] and len(explorer.cache) == 2


def test_unknown_target_reports_error_and_keeps_view(explorer):
    before, png = explorer.current, shown_png(explorer)
    explorer.target_box.value = "giraffe"
    assert "giraffe" in explorer.error and explorer.status.value.startswith("error:")
    assert explorer.current is before and shown_png(explorer) == png
    explorer.target_box.value = "7"  # the patch classifier has two classes
    assert explorer.error is not None and explorer.current is before
    explorer.target_box.value = "top-1"
    assert explorer.error is None and explorer.status.value.startswith("target: patch (1)")


def test_image_change_explains_the_new_image(explorer):
    first, first_png = explorer.current, shown_png(explorer)
    explorer.fixation_slider.value = 1
    explorer.image_dropdown.value = "texture B"
    assert len(explorer.cache) == 2
    assert explorer.current is not first
    assert not torch.equal(explorer.current.losses, first.losses)
    assert shown_png(explorer) != first_png
    assert explorer.fixation_slider.value == 3  # a new scanpath starts fully shown
    assert "texture B" in explorer.title()


def test_models_by_name_load_lazily_once(monkeypatch, tmp_path):
    loaded = []

    def fake_load_model(name, device="cpu"):
        loaded.append(name)
        return small_patch_classifier()

    monkeypatch.setattr(widgets_module, "load_model", fake_load_model)
    paths = []
    for index, seed in enumerate((0, 1)):
        path = tmp_path / f"photo{index}.png"
        pixels = (small_textures(seed=seed)[0].permute(1, 2, 0).numpy() * 255).astype(np.uint8)
        Image.fromarray(pixels).resize((300, 260)).save(path)
        paths.append(path)
    explorer = Explorer(paths, ["a", "b"], explainers=["gradcam"])
    assert list(explorer.image_dropdown.options) == ["photo0", "photo1"]
    assert loaded == ["a"]
    # Paths are loaded at the model's input size.
    assert explorer.image().shape == (3, SIZE, SIZE)
    explorer.model_dropdown.value = "b"
    explorer.model_dropdown.value = "a"
    explorer.model_dropdown.value = "b"
    assert loaded == ["a", "b"]
    assert len(explorer.cache) == 2


def test_static_figure_shows_every_replay_frame(explorer):
    figure = explorer.static_figure()
    assert len(figure.axes) == 6  # heat maps above, scanpaths below, one column per fixation count
    assert [ax.get_title() for ax in figure.axes[:3]] == ["1 fixation", "2 fixations", "3 fixations"]
    assert [len(ax.texts) for ax in figure.axes[3:]] == [1, 2, 3]
    assert "fixations=3, steps=3" in figure.get_suptitle()
    assert figure_to_png(figure).startswith(PNG_SIGNATURE)
    two_frames = explorer.static_figure(n_frames=2)
    assert [ax.get_title() for ax in two_frames.axes[:2]] == ["1 fixation", "3 fixations"]
    explorer.explainer_dropdown.value = "gradcam"
    assert [ax.get_title() for ax in explorer.static_figure().axes] == ["image", "Grad-CAM attribution"]


def test_replay_figure_matches_the_stored_fixations():
    model = small_patch_classifier()
    images = small_textures()
    explanation = FovEx(model, **QUICK_FOVEX).explain(images, [1])
    figure = replay_figure(images[0], explanation)
    for column, ax in enumerate(figure.axes[3:], start=1):
        xs = [text.get_position()[0] for text in ax.texts]
        np.testing.assert_allclose(xs, explanation.fixations_xy[0, :column, 0].numpy(), atol=1e-4)
    # Round trip of the coordinates the replay relies on.
    normalized = pixels_to_normalized(explanation.fixations_xy, SIZE, SIZE)
    assert normalized.abs().max() <= 1.0 + 1e-5


@pytest.mark.slow
def test_notebook_executes_with_papermill(tmp_path):
    papermill = pytest.importorskip("papermill")
    import nbformat
    from jupyter_client.kernelspec import find_kernel_specs

    assert "python3" in find_kernel_specs(), (
        "no 'python3' kernelspec: register the venv's kernel with "
        "`.venv/bin/python -m ipykernel install --prefix .venv --name python3`"
    )
    source = REPO_ROOT / "notebooks" / "06_explorer.py"
    notebook = tmp_path / "06_explorer.ipynb"
    subprocess.run(
        [sys.executable, "-m", "jupytext", "--to", "ipynb", "-o", str(notebook), str(source)],
        check=True,
        capture_output=True,
    )
    executed = tmp_path / "executed.ipynb"
    papermill.execute_notebook(
        str(notebook),
        str(executed),
        parameters={
            "num_images": 2,
            "image_size": 96,
            "explainers": ["fovex", "gradcam"],
            "explainer_settings": {"fovex": {"fixations": 2, "steps": 2}},
        },
        kernel_name="python3",
        cwd=str(tmp_path),
        progress_bar=False,
        execution_timeout=300,
    )
    cells = nbformat.read(executed, as_version=4).cells
    assert any("injected-parameters" in cell.metadata.get("tags", []) for cell in cells)
    outputs = [output for cell in cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    # The static explorer (the page's) and the live one (Jupyter's; left out of the book's page).
    pages = [output["data"]["text/html"] for output in outputs if "text/html" in output.get("data", {})]
    assert len(pages) == 1 and 'class="fovex-explorer"' in pages[0] and "data:image/webp;base64," in pages[0]
    assert any("application/vnd.jupyter.widget-view+json" in output.get("data", {}) for output in outputs)
    printed = "".join(output.get("text", "") for output in outputs if output.output_type == "stream")
    assert "model: efficientnet_lite0; 2 images" in printed and "fovex (fixations=2, steps=2)" in printed
    assert "6 views" in printed  # 2 images x (FovEx top-1, FovEx another class, Grad-CAM)

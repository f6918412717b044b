"""The static explorer (fovex.study.explorer_page): its frames are the live explorer's, switched without a kernel."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fovex.study.explorer_page import ExplorerFrames, encode_frame, render_frames
from fovex.widgets import TOP1, Explorer

FOVEX = {"fixations": 3, "steps": 2}


@pytest.fixture(scope="module")
def explorer():
    import foolbox

    photos = sorted((Path(foolbox.__file__).parent / "data").glob("imagenet_0[0-1]_*.jpg"))
    return Explorer(
        photos, ["efficientnet_lite0"], explainers=["fovex", "gradcam"], explainer_settings={"fovex": FOVEX},
        image_size=96,
    )  # fmt: skip


@pytest.fixture(scope="module")
def frames(explorer):
    return render_frames(explorer, progress=False)


def _decoded(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as picture:
        return np.asarray(picture.convert("RGB"), dtype=np.int16)


def test_every_choice_has_a_view_and_fovex_replays_every_fixation(explorer, frames):
    images = list(explorer.images)
    assert [(v.image, v.explainer) for v in frames.views] == [
        (image, name) for image in images for name in ("fovex", "fovex", "gradcam")
    ]
    for image in images:
        fovex_views = [v for v in frames.views if v.image == image and v.explainer == "fovex"]
        assert [v.target for v in fovex_views][0] == TOP1 and re.fullmatch(r".+ \(\d+\)", fovex_views[1].target)
        assert all(len(v.frames) == FOVEX["fixations"] for v in fovex_views)
        assert len(set(fovex_views[0].frames)) == FOVEX["fixations"]  # each fixation count is its own frame
        assert len(frames.view(image, "gradcam").frames) == 1
        # The status line names the class explained, its probability and the cost (T*K forward and
        # backward passes and one on the blurred image), as the live one does.
        assert re.fullmatch(r"target: .+ \(\d+\), p = [01]\.\d{3} \| 13 passes \| \d+\.\d s", fovex_views[0].status)
    first = [v for v in frames.views if v.image == images[0] and v.explainer == "fovex"]
    assert first[0].status != first[1].status and first[0].frames != first[1].frames  # class-specific


def test_the_frames_are_what_the_live_explorer_draws_for_the_same_choice(explorer, frames):
    for view in frames.views[:3] + frames.views[-3:]:
        explorer.target_box.value = TOP1
        explorer.image_dropdown.value = view.image
        explorer.explainer_dropdown.value = view.explainer
        explorer.target_box.value = view.target
        for shown, index in enumerate(view.frames, start=1):
            if len(view.frames) > 1:
                explorer.fixation_slider.value = shown
            live = explorer.render_png()
            assert frames.frames[index] == encode_frame(live)  # same drawing code, same encoding
            # And the encoded frame is the picture itself, up to lossy compression.
            difference = np.abs(_decoded(frames.frames[index]) - _decoded(live))
            assert difference.shape[-1] == 3 and difference.mean() < 3.0


def test_identical_frames_are_stored_once():
    frames = ExplorerFrames()
    assert frames.add_frame(b"a") == 0 and frames.add_frame(b"b") == 1 and frames.add_frame(b"a") == 0
    assert frames.frames == [b"a", b"b"] and frames.size_bytes == 2


def test_the_page_block_holds_everything_it_shows(frames):
    page = frames.html("explorer-test")
    assert "http://" not in page and "https://" not in page and "//cdn" not in page
    sources = re.findall(r'"data:image/webp;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(sources) == len(frames.frames) == len(set(sources))
    assert base64.b64decode(sources[0]) == frames.frames[0]
    for view in frames.views:
        assert f'<option value="{view.image}">' in page or view.image.replace("&", "&amp;") in page
    # A frame holding "</script>" cannot end the state block early.
    tricky = ExplorerFrames(views=[])
    tricky.views.append(type(frames.views[0])("a</script>b", "fovex", TOP1, [tricky.add_frame(b"x")], "s"))
    assert "a</script>b" not in tricky.html().split('data-role="state">')[1].split("</script>")[0]


def test_encoding_keeps_the_size_and_shrinks_the_bytes(explorer):
    png = explorer.render_png()
    encoded = encode_frame(png)
    assert _decoded(encoded).shape == _decoded(png).shape and len(encoded) < len(png) / 2

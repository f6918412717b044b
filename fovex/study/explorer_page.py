"""The explorer on a static page: the live explorer's frames rendered ahead of time, switched in the browser.

:func:`render_frames` drives a :class:`fovex.widgets.Explorer` through every choice (image,
explainer, target class for FovEx, fixations shown) and keeps what its image widget shows, the same
drawing code, so a frame on the page is what the live explorer draws for that choice.
:meth:`ExplorerFrames.html` writes one self-contained HTML block: the frames as WebP data URIs
(identical frames stored once), the controls (image, explainer, target, a fixation slider and a play
button) and a few lines of JavaScript that switch frames. No kernel, no network, no CDN: the page
holds everything it shows.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..explain import display_name
from ..widgets import TOP1, Explorer

__all__ = ["ExplorerFrames", "View", "encode_frame", "explorer_images", "render_frames"]


@dataclass
class View:
    """One choice of (image, explainer, target): its frames (one per number of fixations shown, or
    one for a map without a scanpath) and the status line the live explorer shows under it."""

    image: str
    explainer: str
    target: str  # the target box's text: "top-1" or "name (index)"
    frames: list[int]  # indices into ExplorerFrames.frames; frames[n - 1] shows n fixations
    status: str

    @property
    def key(self) -> str:
        return f"{self.image}\x1f{self.explainer}\x1f{self.target}"


@dataclass
class ExplorerFrames:
    """Frames (encoded images, each stored once) and the views that show them, in display order."""

    frames: list[bytes] = field(default_factory=list)
    views: list[View] = field(default_factory=list)
    mime: str = "image/webp"
    _index: dict[str, int] = field(default_factory=dict, repr=False)

    def add_frame(self, encoded: bytes) -> int:
        """Store ``encoded`` once; returns its index (an identical frame is shared, not repeated)."""
        digest = hashlib.sha256(encoded).hexdigest()
        if digest not in self._index:
            self._index[digest] = len(self.frames)
            self.frames.append(encoded)
        return self._index[digest]

    def view(self, image: str, explainer: str, target: str = TOP1) -> View:
        for view in self.views:
            if (view.image, view.explainer, view.target) == (image, explainer, target):
                return view
        raise KeyError(f"no view for image {image!r}, explainer {explainer!r}, target {target!r}")

    @property
    def size_bytes(self) -> int:
        """Bytes of the encoded frames (the page holds them base64-encoded: 4/3 of this)."""
        return sum(len(frame) for frame in self.frames)

    def describe(self, model: str, settings: Mapping[str, Mapping] | None = None) -> str:
        """Model, images, explainers with their settings, and the page weight, in a few lines."""
        settings = settings or {}
        images = list(dict.fromkeys(view.image for view in self.views))
        explainers = list(dict.fromkeys(view.explainer for view in self.views))
        described = [
            f"{name} ({', '.join(f'{k}={v}' for k, v in settings[name].items())})" if settings.get(name) else name
            for name in explainers
        ]
        return (
            f"model: {model}; {len(images)} images: {', '.join(images)}\n"
            f"explainers: {'; '.join(described)} (others at their defaults)\n"
            f"{len(self.views)} views, {len(self.frames)} distinct frames, {self.size_bytes / 1e6:.1f} MB of WebP "
            f"({self.size_bytes * 4 / 3 / 1e6:.1f} MB in the page as base64)"
        )

    def state(self) -> dict:
        """What the page's script reads: frame sources and the views by key."""
        prefix = f"data:{self.mime};base64,"
        return {
            "frames": [prefix + base64.b64encode(frame).decode("ascii") for frame in self.frames],
            "views": {
                view.key: {"frames": view.frames, "status": view.status, "target": view.target} for view in self.views
            },
        }

    def html(self, element_id: str = "fovex-explorer") -> str:
        """The explorer as one HTML block (controls, frames, script), for a notebook cell's output."""
        images = list(dict.fromkeys(view.image for view in self.views))
        explainers = list(dict.fromkeys(view.explainer for view in self.views))

        def options(values, label=str):
            return "".join(f'<option value="{html.escape(v)}">{html.escape(label(v))}</option>' for v in values)

        state = json.dumps(self.state()).replace("</", "<\\/")  # a "</script>" inside JSON must not end it
        return _TEMPLATE.format(
            id=html.escape(element_id),
            images=options(images),
            explainers=options(explainers, display_name),  # the book's names; values stay the keys
            state=state,
        )


def encode_frame(png: bytes, quality: int = 82) -> bytes:
    """A rendered PNG re-encoded as WebP (lossy, ``quality`` 0-100): a tenth of the bytes, same picture."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as picture:
        buffer = io.BytesIO()
        picture.convert("RGB").save(buffer, format="WEBP", quality=quality, method=6)
    return buffer.getvalue()


def explorer_images(dataset: str, count: int, model: str, image_size: int | None = None) -> dict:
    """The first ``count`` photos of ``dataset`` in the spread order (:func:`fovex.evaluation.spread_order`,
    every part of the set), ``{id: (3, H, W)}`` at ``image_size`` or the model's input size. Without
    the set, the labelled ImageNet photos that ship with foolbox."""
    from ..data import is_available, open_dataset
    from ..evaluation import spread_order
    from ..models import load_model

    size = image_size or load_model(model, weights=None).input_size  # the architecture's input size
    if is_available(dataset):
        samples = open_dataset(dataset, image_size=size)
    else:
        samples = open_dataset("samples", split="imagenet", image_size=size)
    chosen = spread_order(len(samples))[:count]
    return {samples[index].id: samples[index].image for index in chosen}


def _other_targets(explorer: Explorer, count: int) -> list[str]:
    """The target box's texts for the top-2.. classes of the current image (the top-1 is "top-1")."""
    return explorer.target_options()[2 : 2 + count]


def render_frames(
    explorer: Explorer,
    explainers: Sequence[str] | None = None,
    other_targets: int = 1,
    quality: int = 82,
    progress: bool = True,
) -> ExplorerFrames:
    """Every view of ``explorer``'s images and model: per explainer its top-1 view, plus for scanpath
    explainers (FovEx) the next ``other_targets`` classes of the top-5; every number of fixations.

    Each frame is exactly what the live explorer's image widget holds for that choice (PNG), then
    re-encoded by :func:`encode_frame`. Explanations are computed once (the explorer's cache).
    """
    from tqdm.auto import tqdm

    explainers = list(explainers or explorer.explainer_names)
    result = ExplorerFrames()
    images = list(explorer.images)
    for image in tqdm(images, desc="explorer frames", unit="image", disable=not progress):
        explorer.target_box.value = TOP1  # switch with the cheap top-1 target selected
        explorer.image_dropdown.value = image
        for name in explainers:
            explorer.target_box.value = TOP1
            explorer.explainer_dropdown.value = name
            _raise_on_error(explorer)
            targets = [TOP1]
            if explorer.fixation_slider.disabled is False:  # a scanpath: class-specific replays
                targets += _other_targets(explorer, other_targets)
            for target in targets:
                explorer.target_box.value = target
                _raise_on_error(explorer)
                result.views.append(_view(explorer, image, name, target, result, quality))
        explorer.target_box.value = TOP1
    return result


def _view(explorer: Explorer, image: str, name: str, target: str, result: ExplorerFrames, quality: int) -> View:
    if explorer.fixation_slider.disabled:
        frames = [result.add_frame(encode_frame(explorer.image_widget.value, quality))]
    else:
        frames = []
        for shown in range(1, explorer.fixation_slider.max + 1):
            explorer.fixation_slider.value = shown
            frames.append(result.add_frame(encode_frame(explorer.image_widget.value, quality)))
    return View(image, name, target, frames, explorer.status.value)


def _raise_on_error(explorer: Explorer) -> None:
    if explorer.error is not None:
        raise RuntimeError(f"the explorer could not show {explorer.image_dropdown.value!r}: {explorer.error}")


# The component: plain HTML controls and a script scoped to its own element. Frames switch by
# setting the <img> source; the play button steps the slider like the live explorer's replay.
_TEMPLATE = """<div class="fovex-explorer" id="{id}" style="font-size:0.9em">
<div style="display:flex;flex-wrap:wrap;gap:0.4em 1.2em;align-items:center;margin-bottom:0.4em">
<label>image <select data-control="image">{images}</select></label>
<label>explainer <select data-control="explainer">{explainers}</select></label>
<label>target <select data-control="target"></select></label>
</div>
<div style="display:flex;flex-wrap:wrap;gap:0.4em 1.2em;align-items:center;margin-bottom:0.4em">
<button type="button" data-control="play">&#9654; replay</button>
<label>fixations shown <input type="range" data-control="fixations" min="1" max="1" value="1" step="1">
<output data-role="fixations-value">1</output></label>
</div>
<img data-role="frame" alt="explanation" style="max-width:100%;height:auto;display:block">
<div data-role="status" style="font-family:monospace;margin-top:0.3em"></div>
<script type="application/json" data-role="state">{state}</script>
<script>
(function () {{
  var root = document.getElementById("{id}");
  var state = JSON.parse(root.querySelector('[data-role="state"]').textContent);
  var get = function (name) {{ return root.querySelector('[data-control="' + name + '"]'); }};
  var image = get("image"), explainer = get("explainer"), target = get("target");
  var slider = get("fixations"), play = get("play"), timer = null;
  var frame = root.querySelector('[data-role="frame"]');
  var status = root.querySelector('[data-role="status"]');
  var shown = root.querySelector('[data-role="fixations-value"]');
  var SEP = "\\u001f";
  function targets() {{
    var prefix = image.value + SEP + explainer.value + SEP;
    return Object.keys(state.views).filter(function (k) {{ return k.indexOf(prefix) === 0; }})
      .map(function (k) {{ return state.views[k].target; }});
  }}
  function view() {{ return state.views[image.value + SEP + explainer.value + SEP + target.value]; }}
  function show() {{
    var v = view(), n = Math.min(Number(slider.value), v.frames.length);
    frame.src = state.frames[v.frames[n - 1]];
    frame.setAttribute("data-frame", String(v.frames[n - 1]));
    shown.textContent = String(n);
    status.textContent = v.status;
  }}
  function choose() {{
    var wanted = target.value, options = targets();
    target.innerHTML = "";
    options.forEach(function (t) {{
      var option = document.createElement("option");
      option.value = t; option.textContent = t; target.appendChild(option);
    }});
    target.value = options.indexOf(wanted) >= 0 ? wanted : options[0];
    target.disabled = options.length < 2;
    var count = view().frames.length;
    slider.max = String(count); slider.value = String(count);
    slider.disabled = play.disabled = count < 2;
    stop(); show();
  }}
  function stop() {{ if (timer !== null) {{ clearInterval(timer); timer = null; }} }}
  play.addEventListener("click", function () {{
    stop(); slider.value = "1"; show();
    timer = setInterval(function () {{
      if (Number(slider.value) >= Number(slider.max)) {{ stop(); return; }}
      slider.value = String(Number(slider.value) + 1); show();
    }}, 700);
  }});
  [image, explainer, target].forEach(function (c) {{ c.addEventListener("change", choose); }});
  slider.addEventListener("input", function () {{ stop(); show(); }});
  choose();
}})();
</script>
</div>"""

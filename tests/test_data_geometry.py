"""fovex.data.geometry: original pixels -> the frame of fovex.io.load_image, checked against real loads."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from fovex.data import frame_geometry, to_frame
from fovex.io import load_image


def _centroid(image) -> tuple[float, float]:
    weights = image.mean(0).numpy().astype(np.float64)
    rows, cols = np.indices(weights.shape)
    return float((cols * weights).sum() / weights.sum()), float((rows * weights).sum() / weights.sum())


@pytest.mark.parametrize(
    "width,height,size,crop,centre",
    [
        (500, 375, 224, 1.0, (250, 190)),  # landscape: sides cropped
        (300, 601, 224, 1.0, (140, 330)),  # portrait, odd height
        (500, 375, 224, 0.875, (300, 150)),  # the classic 256 -> 224 crop
        (200, 150, 224, 1.0, (60.0, 75.0)),  # upscaling
        (640, 480, None, 1.0, (100, 400)),  # original resolution
    ],
)
def test_mapped_point_matches_the_loaded_image(tmp_path, width, height, size, crop, centre):
    # A bright square centred on an original pixel must appear, in the loaded frame, where to_frame says.
    canvas = np.zeros((height, width, 3), np.uint8)
    cx, cy = (int(c) for c in centre)
    canvas[cy - 4 : cy + 5, cx - 4 : cx + 5] = 255
    path = tmp_path / "probe.png"
    Image.fromarray(canvas).save(path)
    image = load_image(path, size=size, crop_fraction=crop)
    geometry = frame_geometry(width, height, size, crop)
    assert image.shape[1:] == geometry.frame_size[::-1]
    expected = to_frame(np.array([[cx, cy]]), width, height, size, crop)[0]
    assert np.allclose(_centroid(image), expected, atol=0.25)


def test_roundtrip_inside_and_identity():
    geometry = frame_geometry(800, 600, 224, 0.875)  # resized to 341x256, crop offset (58, 16)
    points = np.array([[0.0, 0.0], [799.0, 599.0], [400.0, 300.0], [123.4, 567.8]])
    assert np.allclose(geometry.from_frame(geometry.to_frame(points)), points)
    # Corners fall outside the centre crop; with crop_fraction 1 the image centre is the frame centre.
    assert np.allclose(frame_geometry(800, 600, 224).to_frame(np.array([[399.5, 299.5]])), [[111.5, 111.5]])
    assert geometry.inside(geometry.to_frame(points)).tolist() == [False, False, True, False]
    identity = frame_geometry(800, 600, None)
    assert np.array_equal(identity.to_frame(points), points) and identity.frame_size == (800, 600)


def test_boxes_are_clipped_and_flagged():
    geometry = frame_geometry(500, 250, 100)  # resized to 200x100, 50 px cropped on each side
    boxes = np.array([[0, 0, 49, 49], [200, 50, 299, 199], [0, 0, 499, 249]], dtype=float)
    frame, visible = geometry.boxes_to_frame(boxes)
    assert visible.tolist() == [False, True, True]
    # x: (x + 0.5) * 0.4 - 0.5 - 50; y: (y + 0.5) * 0.4 - 0.5
    assert np.allclose(frame[1], [29.7, 19.7, 69.3, 79.3])
    assert np.allclose(frame[2], [0, 0, 99, 99])


def test_mask_follows_the_image(tmp_path):
    mask = np.zeros((375, 500), np.uint8)
    mask[100:200, 300:400] = 3
    frame = frame_geometry(500, 375, 224).mask_to_frame(mask)
    assert frame.shape == (224, 224) and set(np.unique(frame)) == {0, 3}
    ys, xs = np.nonzero(frame == 3)
    box, _ = frame_geometry(500, 375, 224).boxes_to_frame(np.array([[300, 100, 399, 199]]))
    assert abs(xs.min() - box[0, 0]) <= 1 and abs(xs.max() - box[0, 2]) <= 1
    assert abs(ys.min() - box[0, 1]) <= 1 and abs(ys.max() - box[0, 3]) <= 1

"""How much this project's insertion/deletion protocol differs from the RISE reference code's, measured.

Three differences (book/methods.md, "Where the protocol differs from the RISE reference"):

- tie order: ours ranks tied attribution values in row-major order (a stable sort); the reference
  takes numpy's default (unstable) argsort, then reverses it. Emulated exactly by ranking the pixels
  as ``np.argsort(map)[::-1]`` does and scoring that strict ranking.
- deletion colour: ours deletes to the model's mean colour (zero in its normalised space: mid-grey for
  EfficientNet-Lite0); the reference deletes to zero in *its* model's space, the ImageNet mean colour.
- preprocessing: ours resizes the shorter side to 224 and crops the centre; the reference resizes the
  photo to 224 x 224 (aspect not kept). Each version explains its own top-1 class.

On the first N photos of ../shared/data/imagenet-sample (spread order), Grad-CAM and centre maps,
EfficientNet-Lite0. Prints per difference and map: the mean over photos of (variant - ours), and the
largest |variant - ours| on one photo.

    .venv/bin/python benchmarks/protocol_differences.py --photos 6
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

import fovex
from fovex.data import open_dataset
from fovex.evaluation import spread_order
from fovex.io import pil_to_tensor
from fovex.metrics import insertion_deletion

IMAGENET_MEAN = (0.485, 0.456, 0.406)


def reference_ranking(maps: torch.Tensor) -> torch.Tensor:
    """A strict ranking equal to the reference's pixel order: ``np.argsort(flat)[::-1]`` (numpy's default sort)."""
    ranked = torch.empty_like(maps)
    for i, flat in enumerate(maps.reshape(maps.shape[0], -1).numpy()):
        order = np.argsort(flat)[::-1]
        values = np.empty(flat.size, dtype=np.float32)
        values[order] = np.arange(flat.size, 0, -1, dtype=np.float32)
        ranked[i] = torch.from_numpy(values).view(maps.shape[1:])
    return ranked


def square_resize(path, size: int) -> torch.Tensor:
    from PIL import Image

    with Image.open(path) as image:
        image = image.convert("RGB").resize((size, size), Image.BILINEAR)
    return pil_to_tensor(image)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=6)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = fovex.load_model("efficientnet_lite0")
    dataset = open_dataset("imagenet-sample", image_size=model.input_size)
    picks = spread_order(len(dataset))[: args.photos]
    samples = [dataset[i] for i in picks]
    images = torch.stack([s.image for s in samples])
    with torch.no_grad():
        targets = model(images).argmax(1)
    maps = {
        name: fovex.explainer(name, model).explain(images, targets=targets).attribution
        for name in ("gradcam", "centre")
    }
    results = []

    def record(difference, map_name, metric, ours, variant):
        delta = (variant - ours).numpy()
        results.append((difference, map_name, metric, float(delta.mean()), float(np.abs(delta).max())))

    for name, attribution in maps.items():
        ours = insertion_deletion(model, images, attribution, targets, batch_size=32)
        ranked = insertion_deletion(model, images, reference_ranking(attribution), targets, batch_size=32)
        for metric in ("insertion", "deletion"):
            record("tie order", name, metric, getattr(ours, metric).auc, getattr(ranked, metric).auc)
        colour = insertion_deletion(
            model,
            images,
            attribution,
            targets,
            deletion_substrate=torch.tensor(IMAGENET_MEAN),
            modes=("deletion",),
            batch_size=32,
        )
        record("deletion colour", name, "deletion", ours.deletion.auc, colour.deletion.auc)
        if name == "gradcam":
            square = torch.stack([square_resize(sample.path, model.input_size) for sample in samples])
            with torch.no_grad():
                square_targets = model(square).argmax(1)
            square_maps = fovex.explainer(name, model).explain(square, targets=square_targets).attribution
            other = insertion_deletion(model, square, square_maps, square_targets, batch_size=32)
            for metric in ("insertion", "deletion"):
                record("preprocessing", name, metric, getattr(ours, metric).auc, getattr(other, metric).auc)
            changed = int((square_targets != targets).sum())
            print(f"preprocessing: top-1 class changed on {changed} of {len(picks)} photos")
    print(f"{len(picks)} photos of imagenet-sample (spread order), efficientnet_lite0; variant - ours:")
    for difference, name, metric, mean, largest in results:
        print(f"{difference:16s} {name:8s} {metric:9s} mean {mean:+.5f}  largest |d| {largest:.5f}")


if __name__ == "__main__":
    main()

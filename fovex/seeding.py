"""Per-image random generators, independent of batch composition.

Every stochastic step of an explainer (NeVA restarts and jitter, RISE masks, random maps, ...) draws
from a generator seeded by ``(seed, digest of the image)``. An image's explanation is therefore the
same alone, in any batch, at any batch position and on any distributed rank.
"""

from __future__ import annotations

import hashlib

import torch

__all__ = ["image_digest", "image_generator", "image_generators"]


def image_digest(image: torch.Tensor) -> int:
    """63-bit digest of an image's float32 values (dtype- and device-independent for float32 inputs)."""
    data = image.detach().to(device="cpu", dtype=torch.float32).contiguous().numpy().tobytes()
    shape = ",".join(str(s) for s in image.shape).encode()
    return int.from_bytes(hashlib.sha256(shape + b"|" + data).digest()[:8], "little") >> 1


def image_generator(image: torch.Tensor, seed: int) -> torch.Generator:
    """A CPU generator seeded by ``(seed, image_digest(image))``."""
    digest = hashlib.sha256(f"{int(seed)}:{image_digest(image)}".encode()).digest()
    generator = torch.Generator(device="cpu")
    generator.manual_seed(int.from_bytes(digest[:8], "little") >> 1)
    return generator


def image_generators(images: torch.Tensor, seed: int) -> list[torch.Generator]:
    """One generator per image of a (B, ...) batch (the batch is copied to the host once, not per image)."""
    host = images.detach().to(device="cpu", dtype=torch.float32)
    return [image_generator(image, seed) for image in host]

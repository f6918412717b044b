"""Vision-transformer geometry the explainers share: is a backbone a timm ViT, and its patch grid."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

__all__ = ["is_vit", "patch_grid", "vit_reshape_transform"]


def is_vit(backbone: nn.Module) -> bool:
    """A timm vision transformer (patch embedding and a stack of blocks)."""
    return hasattr(backbone, "patch_embed") and hasattr(backbone, "blocks")


def patch_grid(backbone: nn.Module, height: int, width: int) -> tuple[int, int, int]:
    """``(prefix tokens, grid rows, grid cols)`` of a timm ViT at an input of ``height`` x ``width`` px.

    The patch size and the number of prefix tokens (class and register tokens) come from the model.
    """
    size = backbone.patch_embed.patch_size
    patch_h, patch_w = (int(size[0]), int(size[1])) if isinstance(size, (tuple, list)) else (int(size), int(size))
    return int(getattr(backbone, "num_prefix_tokens", 1)), height // patch_h, width // patch_w


def vit_reshape_transform(backbone: nn.Module, height: int, width: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """Tokens (B, prefix + gh*gw, C) -> feature map (B, C, gh, gw) for a timm ViT.

    The grid follows the model and the input size (:func:`patch_grid`), not constants. 4-D tensors
    pass through unchanged.
    """
    prefix, grid_h, grid_w = patch_grid(backbone, height, width)

    def reshape(tokens: torch.Tensor) -> torch.Tensor:
        if tokens.ndim != 3:
            return tokens
        if tokens.shape[1] != prefix + grid_h * grid_w:
            raise ValueError(
                f"{tokens.shape[1]} tokens do not make {prefix} prefix tokens and a {grid_h}x{grid_w} grid"
            )
        patches = tokens[:, prefix:, :]
        return patches.reshape(tokens.shape[0], grid_h, grid_w, tokens.shape[2]).permute(0, 3, 1, 2)

    return reshape

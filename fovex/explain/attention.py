"""Attention explainers for timm vision transformers: GAE (Chefer, Gur & Wolf, ICCV 2021)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ._vit import is_vit, patch_grid
from .base import Attribution, Explainer, register_explainer

__all__ = ["GAE"]


def _attention_modules(model) -> list[nn.Module]:
    """The timm ``Attention`` module of each transformer block, or a ValueError saying why not."""
    backbone = getattr(model, "backbone", model)
    name = getattr(model, "name", type(model).__name__)
    blocks = getattr(backbone, "blocks", None)
    if blocks is None or not is_vit(backbone):
        raise ValueError(
            f"gae explains attention; {name!r} has no transformer blocks with self-attention "
            "(it needs a timm ViT: backbone.blocks[i].attn). Use gradcam, rise or fovex for CNNs."
        )
    attentions = [getattr(block, "attn", None) for block in blocks]
    if not all(hasattr(attn, "attn_drop") and hasattr(attn, "fused_attn") for attn in attentions):
        raise ValueError(f"gae needs timm's Attention modules (with attn_drop and fused_attn) in {name!r}")
    if getattr(backbone, "cls_token", None) is None:
        raise ValueError(f"gae reads the class token's relevance row; {name!r} has no class token")
    return attentions


@register_explainer
class GAE(Explainer):
    """Generic Attention-model Explainability (Chefer, Gur & Wolf, ICCV 2021) for timm ViTs.

    With ``A_b`` (B, heads, N, N) the softmax attention of block ``b`` and ``grad A_b`` the gradient
    of the target logit: ``R = I``; for each block in order ``R <- R + mean_h[(grad A_b * A_b)^+] R``.
    The map is the class token's row of ``R`` over the patch tokens, on the patch grid, upsampled
    bilinearly to the input. No settings. Cost: 1 forward + 1 backward pass.

    timm's fused attention never materialises ``A``: it is switched off for the call, ``A`` is read
    at the output of ``attn_drop`` (identity in eval mode), and everything is restored afterwards.
    """

    name = "gae"
    display_name = "GAE"

    def __init__(self, model, **settings):
        super().__init__(model, **settings)
        _attention_modules(model)

    def cost(self):
        return 1, 1

    def _attention_and_gradients(self, images, targets) -> tuple[list[torch.Tensor], tuple[torch.Tensor, ...]]:
        attentions = _attention_modules(self.model)
        captured: list[torch.Tensor] = []
        fused = [attn.fused_attn for attn in attentions]
        handles = []
        try:
            for attn in attentions:
                attn.fused_attn = False
                hook = attn.attn_drop.register_forward_hook(lambda module, args, output: captured.append(output))
                handles.append(hook)
            with torch.enable_grad():
                logits = self.model(images.detach().requires_grad_(True))
                score = logits[torch.arange(len(targets), device=logits.device), targets].sum()
                grads = torch.autograd.grad(score, captured)
        finally:
            for handle in handles:
                handle.remove()
            for attn, flag in zip(attentions, fused):
                attn.fused_attn = flag
        return captured, grads

    def attribute(self, images, targets) -> Attribution:
        captured, grads = self._attention_and_gradients(images, targets)
        backbone = getattr(self.model, "backbone", self.model)
        with torch.no_grad():
            tokens = captured[0].shape[-1]
            relevance = torch.eye(tokens, device=images.device, dtype=captured[0].dtype).expand(len(images), -1, -1)
            for attention, grad in zip(captured, grads):
                weighted = (grad * attention).clamp_min(0.0).mean(dim=1)
                relevance = relevance + weighted @ relevance
            prefix, grid_h, grid_w = patch_grid(backbone, *images.shape[-2:])
            cls_row = relevance[:, 0, prefix:].reshape(len(images), 1, grid_h, grid_w)
            maps = F.interpolate(cls_row, size=images.shape[-2:], mode="bilinear", align_corners=False)
        return Attribution(maps[:, 0])

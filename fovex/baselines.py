"""Baseline explainers the study compares FovEx with (SPEC §4).

Every class here is a short :class:`~fovex.explain.Explainer` subclass; the base class validates the
images, resolves the targets, min-max normalises each map and records settings and cost.

Registered names, methods and model passes per image:

- ``gradcam``: Grad-CAM (Selvaraju et al. 2017) via pytorch-grad-cam; 1 forward + 1 backward.
- ``gradcam++``: Grad-CAM++ (Chattopadhyay et al. 2018), same; 1 forward + 1 backward.
- ``scorecam``: Score-CAM (Wang et al. 2020), same; 1 + K forwards (K channels of the layer).
- ``meaningful_perturbation``: Fong & Vedaldi 2017 blur-deletion mask; ``steps`` + 1 forwards,
  ``steps`` backwards.
- ``rise``: Petsiuk et al. 2018 random masks; ``masks`` forwards.
- ``gae``: Chefer et al. 2021 attention relevance, timm ViTs only; 1 forward + 1 backward.
- ``random``: seeded noise, the same map for every image; no passes.
- ``centre``: a central Gaussian; no passes.

Target selection (``targets=None``) adds one forward pass, counted by the base class.

Batch independence: every stochastic draw (RISE masks, Meaningful-Perturbation initialisation) comes
from :func:`fovex.seeding.image_generator`, so an image gets the same map alone or in any batch. The
``random`` map is seeded from its settings only: it is deliberately the same for every image.
"""
from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .checks import check_float, check_int, check_odd_int
from .explain import Explainer, register_explainer, scanpath_attribution
from .foveation import blur
from .seeding import image_generator

__all__ = [
    "CentreBaseline",
    "GAE",
    "GradCAM",
    "GradCAMPlusPlus",
    "MeaningfulPerturbation",
    "RISE",
    "RandomBaseline",
    "ScoreCAM",
    "cam_target_layer",
]


# --- CAM family (pytorch-grad-cam) -------------------------------------------------------------


class _InputTap:
    """Stands in for a module whose *input* is the feature map to hook.

    pytorch-grad-cam only calls ``target_layer.register_forward_hook(hook)``; this registers a
    forward pre-hook on the wrapped module instead and hands ``hook`` the module's input as if it
    were an output. The returned handle removes it like any hook handle.
    """

    def __init__(self, module: nn.Module):
        self.module = module

    def register_forward_hook(self, hook):
        return self.module.register_forward_pre_hook(lambda module, args: hook(module, args, args[0]))


def _is_vit(backbone: nn.Module) -> bool:
    return hasattr(backbone, "patch_embed") and hasattr(backbone, "blocks")


def _resolve_layer(model: nn.Module, path: str):
    """``"a.b.2"`` -> that submodule (its output is hooked); ``"a.b:input"`` -> a tap on its input."""
    module_path, _, port = path.partition(":")
    if port not in ("", "input", "output"):
        raise ValueError(f"target_layer {path!r}: the part after ':' must be 'input' or 'output'")
    try:
        module = model.get_submodule(module_path)
    except AttributeError as error:
        name = getattr(model, "name", "the model")
        raise ValueError(f"target_layer {path!r} is not a submodule of {name}") from error
    return _InputTap(module) if port == "input" else module


def cam_target_layer(model: nn.Module, target_layer: str | None = None) -> tuple[object, str]:
    """The layer the CAM methods hook, as ``(layer, description)``.

    Order: an explicit ``target_layer`` path (``"backbone.layer3"``, or ``"path:input"`` to hook a
    module's input); else ``model.cam_target_layer`` (an ``nn.Module``); else by architecture:

    - ViT (timm): ``backbone.blocks[-1].norm1``, tokens reshaped to the patch grid.
    - ResNet (timm): ``backbone.layer4[-1]``, the last bottleneck's rectified output.
    - EfficientNet-Lite: the *input* of ``backbone._avg_pooling``, i.e. the head conv after BN and
      ReLU6. The activation module ``backbone._swish`` cannot be hooked: one ReLU6 instance serves
      both the stem and the head, so its hook fires twice per forward. ``backbone._bn1`` would give
      pre-activation maps (negative values, ReLU6 clipping ignored); the pooling input is exactly the
      feature map the classifier averages, as Grad-CAM defines it.
    """
    if target_layer is not None:
        return _resolve_layer(model, target_layer), target_layer
    layer = getattr(model, "cam_target_layer", None)
    if isinstance(layer, nn.Module):
        names = {id(module): name for name, module in model.named_modules()}
        return layer, names.get(id(layer), "cam_target_layer")
    backbone = getattr(model, "backbone", model)
    prefix = "backbone." if backbone is not model else ""
    if _is_vit(backbone):
        path = f"{prefix}blocks.{len(backbone.blocks) - 1}.norm1"
    elif hasattr(backbone, "layer4"):
        path = f"{prefix}layer4.{len(backbone.layer4) - 1}"
    elif hasattr(backbone, "_conv_head") and hasattr(backbone, "_avg_pooling"):
        path = f"{prefix}_avg_pooling:input"
    else:
        raise ValueError(
            f"no CAM target layer known for {getattr(model, 'name', type(model).__name__)!r}: "
            "set model.cam_target_layer to an nn.Module or pass target_layer='dotted.module.path'"
        )
    return _resolve_layer(model, path), path


def vit_reshape_transform(backbone: nn.Module, height: int, width: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """Tokens (B, prefix + gh*gw, C) -> feature map (B, C, gh, gw) for a timm ViT.

    The patch size, the number of prefix tokens (class and register tokens) and hence the grid come
    from the model and the input size, not from constants. 4-D tensors pass through unchanged.
    """
    patch_h, patch_w = _pair(backbone.patch_embed.patch_size)
    grid_h, grid_w = height // patch_h, width // patch_w
    prefix = int(getattr(backbone, "num_prefix_tokens", 1))

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


def _pair(value) -> tuple[int, int]:
    return (int(value[0]), int(value[1])) if isinstance(value, (tuple, list)) else (int(value), int(value))


class _CAMExplainer(Explainer):
    """Shared driver: build the pytorch-grad-cam object, run it, release its hooks.

    The :class:`~fovex.models.Classifier` itself (pixel space) is handed to the library, so the
    model's normalisation stays inside. Targets are ``ClassifierOutputTarget`` (the class logit).
    The library's context manager is not used: its ``__exit__`` swallows ``IndexError``; a
    ``finally`` that calls ``release()`` removes the hooks without hiding errors.
    """

    uses_gradients = True

    def __init__(self, model, target_layer: str | None = None):
        self._init_cam(model, target_layer)

    def _init_cam(self, model, target_layer, **settings):
        self.layer, resolved = cam_target_layer(model, target_layer)
        Explainer.__init__(self, model, target_layer=resolved, **settings)

    def _make_cam(self, reshape):
        raise NotImplementedError

    def _reshape(self, images):
        backbone = getattr(self.model, "backbone", self.model)
        return vit_reshape_transform(backbone, *images.shape[-2:]) if _is_vit(backbone) else None

    def attribute(self, images, targets):
        from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

        cam = self._make_cam(self._reshape(images))
        cam_targets = [ClassifierOutputTarget(int(t)) for t in targets]
        try:
            if self.uses_gradients:
                # Weights are frozen: the input must require grad for the layer's output to carry one.
                with torch.enable_grad():
                    maps = cam(images.detach().requires_grad_(True), cam_targets)
            else:
                with torch.no_grad():
                    maps = cam(images.detach(), cam_targets)
        finally:
            cam.activations_and_grads.release()
            cam.outputs = None  # drop the output (and any graph it keeps alive)
        return torch.from_numpy(maps).to(images.device), self._fields(cam)

    def _fields(self, cam) -> dict:
        return {}

    def cost(self):
        return 1, 1


@register_explainer
class GradCAM(_CAMExplainer):
    """Grad-CAM: ``ReLU(sum_k w_k A_k)``, ``w_k`` = spatial mean of ``d logit_y / d A_k``, upsampled
    bilinearly to the input. Setting: ``target_layer`` (see :func:`cam_target_layer`)."""

    name = "gradcam"

    def _make_cam(self, reshape):
        from pytorch_grad_cam import GradCAM as LibraryGradCAM

        return LibraryGradCAM(self.model, [self.layer], reshape_transform=reshape)


@register_explainer
class GradCAMPlusPlus(_CAMExplainer):
    """Grad-CAM++: channel weights from positive gradients with the second/third-order ``alpha``
    (Chattopadhyay et al. 2018, eq. 19 with the exponential output). Setting: ``target_layer``."""

    name = "gradcam++"

    def _make_cam(self, reshape):
        from pytorch_grad_cam import GradCAMPlusPlus as LibraryGradCAMPlusPlus

        return LibraryGradCAMPlusPlus(self.model, [self.layer], reshape_transform=reshape)


def _bounded_score_cam_class():
    from pytorch_grad_cam import ScoreCAM as LibraryScoreCAM

    class BoundedScoreCAM(LibraryScoreCAM):
        """The library's Score-CAM weights, computed ``batch_size`` masked images at a time.

        The library materialises all K masked copies of each image at once (K x 3 x H x W: 1.2 GB
        per image for ResNet-50's 2048 channels) and prints a progress bar; this computes the same
        weights (each channel upsampled bilinearly with aligned corners, min-max normalised, used
        as a pixel mask; softmax over channels of the target logit, Score-CAM Algorithm 1) in chunks.
        """

        def __init__(self, model, target_layers, reshape_transform=None, batch_size=32):
            super().__init__(model, target_layers, reshape_transform=reshape_transform)
            self.batch_size = batch_size
            self.channels = 0

        def get_cam_weights(self, input_tensor, target_layer, targets, activations, grads):
            activations = torch.from_numpy(activations).to(input_tensor.device, input_tensor.dtype)
            batch, channels = activations.shape[:2]
            self.channels = channels
            scores = torch.empty(batch, channels, device=input_tensor.device)
            with torch.no_grad():
                for b, target in enumerate(targets):
                    for start in range(0, channels, self.batch_size):
                        chunk = activations[b, start : start + self.batch_size, None]
                        masks = F.interpolate(chunk, size=input_tensor.shape[-2:], mode="bilinear", align_corners=True)
                        low = masks.amin(dim=(2, 3), keepdim=True)
                        high = masks.amax(dim=(2, 3), keepdim=True)
                        masks = (masks - low) / (high - low + 1e-8)
                        scores[b, start : start + chunk.shape[0]] = target(self.model(input_tensor[b : b + 1] * masks))
            return torch.softmax(scores, dim=-1).cpu().numpy()

    return BoundedScoreCAM


@register_explainer
class ScoreCAM(_CAMExplainer):
    """Score-CAM: channel weights = softmax over channels of the target logit on the image masked
    by each (upsampled, min-max normalised) channel. Settings: ``target_layer``, ``batch_size``
    (masked images per forward pass; memory only). Cost: 1 + K forwards, K = channels of the layer."""

    name = "scorecam"
    uses_gradients = False

    def __init__(self, model, target_layer: str | None = None, batch_size: int = 32):
        check_int("batch_size", batch_size, minimum=1)
        self._init_cam(model, target_layer, batch_size=batch_size)
        self._channels: int | None = None

    def _make_cam(self, reshape):
        return _bounded_score_cam_class()(self.model, [self.layer], reshape, self.settings["batch_size"])

    def _fields(self, cam) -> dict:
        # K is known once the layer has run; cost() reuses it without a probe.
        self._channels = cam.channels
        return {"passes": (1 + cam.channels, 0)}

    def cost(self):
        if self._channels is None:
            self._channels = self._count_channels()
        return 1 + self._channels, 0

    def _count_channels(self) -> int:
        """K, from one probe forward pass at the model's input size (only when asked before a run)."""
        size = int(getattr(self.model, "input_size", 224))
        found: list[torch.Tensor] = []
        handle = self.layer.register_forward_hook(lambda module, args, output: found.append(output))
        try:
            device = next(self.model.parameters()).device
            with torch.no_grad():
                self.model(torch.zeros(1, 3, size, size, device=device))
        finally:
            handle.remove()
        output = found[0]
        if output.ndim == 3:  # ViT tokens: channels are the embedding dimension
            return int(output.shape[-1])
        return int(output.shape[1])


# --- Meaningful Perturbation -------------------------------------------------------------------


def _total_variation(mask: torch.Tensor, beta: float) -> torch.Tensor:
    """``sum_u |d_row m(u)|^beta + |d_col m(u)|^beta`` per image: (B, 1, h, w) -> (B,)."""
    rows = (mask[..., 1:, :] - mask[..., :-1, :]).abs().pow(beta).flatten(1).sum(1)
    cols = (mask[..., :, 1:] - mask[..., :, :-1]).abs().pow(beta).flatten(1).sum(1)
    return rows + cols


@register_explainer
class MeaningfulPerturbation(Explainer):
    """Meaningful Perturbation (Fong & Vedaldi 2017), the deletion game with a blur perturbation.

    A low-resolution mask ``m`` (B, 1, s, s) in [0, 1] (1 keeps a pixel, 0 blurs it) is upsampled
    bilinearly (optionally blurred) to ``M`` at the input size, and minimises per image

        ``p_y(M * x + (1 - M) * B(x)) + l1 * sum |1 - m| + tv * sum_u |grad m(u)|^tv_beta``

    with ``p_y`` the softmax score of the target and ``B`` a Gaussian blur; Adam, one mask per image,
    the per-image losses summed (Adam is element-wise, so images do not interact), the mask clipped
    to [0, 1] after each step. Attribution: ``1 - M``, the region whose deletion kills the score.

    Defaults (the paper's implementation details, ICCV 2017): blur sigma 10 px (``blur_sigma_px``),
    a 28 x 28 mask at 224 px, ``l1 = 1e-4``, ``tv = 1e-2``, ``tv_beta = 3``, Adam ``lr = 0.1``,
    ``steps = 300``. The norms are sums over the mask's cells (the paper's notation); the blur kernel
    is truncated at 41 px like FovEx's periphery (``blur_kernel_px``).
    Not from the paper: ``init = 0.5`` (as in Fong et al. 2019's extremal perturbations: a mask of
    ones starts where a confident model's softmax is saturated and its gradient vanishes) plus
    uniform noise of +-``init_noise`` drawn from the image's own generator (``seed``), and
    ``mask_blur_sigma_px = 0`` (no extra smoothing of the upsampled mask). The paper's stochastic
    jitter of the input during optimisation is not applied, so the result is deterministic.
    Cost: ``steps`` forward and backward passes per image, plus one forward pass scoring the
    final mask (``extras['perturbed_score']``).
    """

    name = "meaningful_perturbation"

    def __init__(
        self,
        model,
        steps: int = 300,
        lr: float = 0.1,
        mask_size: int = 28,
        l1: float = 1e-4,
        tv: float = 1e-2,
        tv_beta: float = 3.0,
        blur_sigma_px: float = 10.0,
        blur_kernel_px: int = 41,
        mask_blur_sigma_px: float = 0.0,
        init: float = 0.5,
        init_noise: float = 0.1,
        seed: int = 42,
    ):
        check_int("steps", steps, minimum=1)
        check_int("mask_size", mask_size, minimum=2)
        check_float("lr", lr, above=0.0)
        for name, value in (("l1", l1), ("tv", tv), ("tv_beta", tv_beta), ("init_noise", init_noise),
                            ("mask_blur_sigma_px", mask_blur_sigma_px)):  # fmt: skip
            check_float(name, value, minimum=0.0)
        check_float("blur_sigma_px", blur_sigma_px, above=0.0)
        check_odd_int("blur_kernel_px", blur_kernel_px)
        check_float("init", init, minimum=0.0, maximum=1.0)
        check_int("seed", seed)
        super().__init__(
            model, steps=steps, lr=lr, mask_size=mask_size, l1=l1, tv=tv, tv_beta=tv_beta,
            blur_sigma_px=blur_sigma_px, blur_kernel_px=blur_kernel_px, mask_blur_sigma_px=mask_blur_sigma_px,
            init=init, init_noise=init_noise, seed=seed,
        )  # fmt: skip

    def cost(self):
        # ``steps`` optimisation passes, plus one forward pass scoring the final mask.
        return self.settings["steps"] + 1, self.settings["steps"]

    def _upsample(self, mask: torch.Tensor, size) -> torch.Tensor:
        upsampled = F.interpolate(mask, size=size, mode="bilinear", align_corners=False)
        sigma = self.settings["mask_blur_sigma_px"]
        if sigma > 0:
            kernel = 2 * math.ceil(3 * sigma) + 1
            upsampled = blur(upsampled, kernel, sigma)
        return upsampled

    def attribute(self, images, targets):
        s = self.settings
        size = images.shape[-2:]
        images = images.detach()
        blurred = blur(images, s["blur_kernel_px"], s["blur_sigma_px"])
        side = s["mask_size"]
        noise = torch.stack([torch.rand(1, side, side, generator=image_generator(x, s["seed"])) for x in images])
        init = (s["init"] + s["init_noise"] * (2.0 * noise - 1.0)).clamp(0.0, 1.0)
        mask = init.to(images.device, images.dtype).requires_grad_(True)
        optimiser = torch.optim.Adam([mask], lr=s["lr"])
        rows = torch.arange(images.shape[0], device=images.device)
        with torch.enable_grad():
            for _ in range(s["steps"]):
                keep = self._upsample(mask, size)
                perturbed = keep * images + (1.0 - keep) * blurred
                score = torch.softmax(self.model(perturbed), dim=1)[rows, targets]
                l1 = (1.0 - mask).abs().flatten(1).sum(1)
                loss = score + s["l1"] * l1 + s["tv"] * _total_variation(mask, s["tv_beta"])
                # Gradient w.r.t. the mask only, whatever the model's requires_grad flags.
                (mask.grad,) = torch.autograd.grad(loss.sum(), mask)
                optimiser.step()
                with torch.no_grad():
                    mask.clamp_(0.0, 1.0)
        with torch.no_grad():
            keep = self._upsample(mask, size)
            final = torch.softmax(self.model(keep * images + (1.0 - keep) * blurred), dim=1)[rows, targets]
        return (1.0 - keep[:, 0]), {"extras": {"perturbed_score": final}}


# --- RISE --------------------------------------------------------------------------------------


@register_explainer
class RISE(Explainer):
    """RISE (Petsiuk, Das & Saenko, BMVC 2018).

    ``N`` binary grids of ``cells x cells`` cells, each on with probability ``p1``, upsampled
    bilinearly to ``(cells + 1) * ceil(H / cells)`` pixels and cropped at a random shift in
    ``[0, cell)`` (the paper's smooth masks ``M_i``). Saliency:
    ``S = sum_i p_y(x * M_i) M_i / (N * p1)`` with ``p_y`` the target's softmax score.

    Defaults (the paper's ResNet-50 setting): ``masks = 4000``, ``cells = 7``, ``p1 = 0.5``.
    ``batch_size``: masked images per forward pass (bounds memory, does not change the result).
    Masks come from the image's own generator (``seed`` and the image's digest), so each image has
    its own masks, the same in any batch. Cost: ``masks`` forward passes per image.
    """

    name = "rise"

    def __init__(self, model, masks: int = 4000, cells: int = 7, p1: float = 0.5, batch_size: int = 50, seed: int = 42):
        for name, value in (("masks", masks), ("cells", cells), ("batch_size", batch_size)):
            check_int(name, value, minimum=1)
        check_float("p1", p1, above=0.0, maximum=1.0)
        check_int("seed", seed)
        super().__init__(model, masks=masks, cells=cells, p1=p1, batch_size=batch_size, seed=seed)

    def cost(self):
        return self.settings["masks"], 0

    def _masks(self, grids: torch.Tensor, shifts: torch.Tensor, height: int, width: int) -> torch.Tensor:
        """(n, cells, cells) binary grids and (n, 2) (row, col) shifts -> (n, 1, height, width)."""
        cells = grids.shape[-1]
        cell_h, cell_w = math.ceil(height / cells), math.ceil(width / cells)
        size = ((cells + 1) * cell_h, (cells + 1) * cell_w)
        up = F.interpolate(grids[:, None], size=size, mode="bilinear", align_corners=False)
        rows = shifts[:, :1] + torch.arange(height)  # (n, height)
        cols = shifts[:, 1:] + torch.arange(width)  # (n, width)
        picked = up[torch.arange(len(up))[:, None, None], 0, rows[:, :, None], cols[:, None, :]]
        return picked[:, None]

    def attribute(self, images, targets):
        s = self.settings
        height, width = images.shape[-2:]
        cells, count = s["cells"], s["masks"]
        cell_h, cell_w = math.ceil(height / cells), math.ceil(width / cells)
        saliency = torch.zeros(images.shape[0], height, width, device=images.device)
        with torch.no_grad():
            for b, image in enumerate(images):
                generator = image_generator(image, s["seed"])
                # All draws up front, so batch_size changes memory use but never the masks.
                grids = (torch.rand(count, cells, cells, generator=generator) < s["p1"]).float()
                row_shifts = torch.randint(0, cell_h, (count,), generator=generator)
                col_shifts = torch.randint(0, cell_w, (count,), generator=generator)
                shifts = torch.stack([row_shifts, col_shifts], dim=1)
                for start in range(0, count, s["batch_size"]):
                    stop = start + s["batch_size"]
                    masks = self._masks(grids[start:stop], shifts[start:stop], height, width)
                    masks = masks.to(images.device, images.dtype)
                    scores = torch.softmax(self.model(image[None] * masks), dim=1)[:, targets[b]]
                    saliency[b] += torch.einsum("n,nhw->hw", scores.float(), masks[:, 0].float())
        return saliency / (count * s["p1"]), {}


# --- GAE (Chefer et al. 2021) ------------------------------------------------------------------


def _attention_modules(model) -> list[nn.Module]:
    """The timm ``Attention`` module of each transformer block, or a ValueError saying why not."""
    backbone = getattr(model, "backbone", model)
    name = getattr(model, "name", type(model).__name__)
    blocks = getattr(backbone, "blocks", None)
    if blocks is None or not _is_vit(backbone):
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

    def __init__(self, model):
        _attention_modules(model)
        super().__init__(model)

    def cost(self):
        return 1, 1

    def attribute(self, images, targets):
        attentions = _attention_modules(self.model)
        backbone = getattr(self.model, "backbone", self.model)
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
        with torch.no_grad():
            tokens = captured[0].shape[-1]
            relevance = torch.eye(tokens, device=images.device, dtype=captured[0].dtype).expand(len(images), -1, -1)
            for attention, grad in zip(captured, grads):
                weighted = (grad * attention).clamp_min(0.0).mean(dim=1)
                relevance = relevance + weighted @ relevance
            prefix = int(getattr(backbone, "num_prefix_tokens", 1))
            patch_h, patch_w = _pair(backbone.patch_embed.patch_size)
            grid_h, grid_w = images.shape[-2] // patch_h, images.shape[-1] // patch_w
            cls_row = relevance[:, 0, prefix:].reshape(len(images), 1, grid_h, grid_w)
            maps = F.interpolate(cls_row, size=images.shape[-2:], mode="bilinear", align_corners=False)
        return maps[:, 0], {}


# --- image-independent baselines ---------------------------------------------------------------


@register_explainer
class RandomBaseline(Explainer):
    """Uniform noise ``U(0, 1)`` per pixel from a generator seeded by ``seed`` only: the same map for
    every image of a given size (it must not depend on the image), a different one per seed. The map
    is :func:`fovex.metrics.plausibility.random_map`, the plausibility tables' random baseline."""

    name = "random"

    def __init__(self, model, seed: int = 42):
        super().__init__(model, seed=check_int("seed", seed))

    def cost(self):
        return 0, 0

    def attribute(self, images, targets):
        from .metrics.plausibility import random_map

        noise = random_map(tuple(images.shape[-2:]), seed=self.settings["seed"])
        return noise.to(images.device).expand(images.shape[0], -1, -1).clone(), {}


@register_explainer
class CentreBaseline(Explainer):
    """Centre bias: ``exp(-(dy^2 / (2 (sigma H)^2) + dx^2 / (2 (sigma W)^2)))`` around the image
    centre, ``sigma = 0.25`` of each side by default (the study asks only for "a central Gaussian":
    the width is a documented convention, not a published constant). The map is
    :func:`fovex.metrics.plausibility.centre_bias_map`, the plausibility tables' centre baseline."""

    name = "centre"

    def __init__(self, model, sigma: float = 0.25):
        super().__init__(model, sigma=check_float("sigma", sigma, above=0.0))

    def cost(self):
        return 0, 0

    def attribute(self, images, targets):
        from .metrics.plausibility import centre_bias_map

        gauss = centre_bias_map(tuple(images.shape[-2:]), sigma_frac=self.settings["sigma"])
        return gauss.to(images.device).expand(images.shape[0], -1, -1).clone(), {}


@register_explainer
class CentreScanpath(Explainer):
    """A scanpath floor: ``fixations`` points drawn independently from the centre-bias density.

    Fixation ``t`` is ``(x, y) = ((W - 1) / 2 + sigma W z_x, (H - 1) / 2 + sigma H z_y)`` with
    ``z ~ N(0, 1)`` from the image's own generator, clamped into the image: the same Gaussian as
    :class:`CentreBaseline`'s map. The map is built from these fixations as FovEx builds its own
    (:func:`fovex.explain.scanpath_attribution`, sum of foveae of ``heatmap_s``). Scanpath
    similarities to humans (and faithfulness of the map) are read against this: it knows where
    people tend to look in general, nothing about the image.
    """

    name = "centre_scanpath"

    def __init__(self, model, fixations: int = 10, sigma: float = 0.25, heatmap_s: float = 0.15, seed: int = 42):
        super().__init__(model, fixations=check_int("fixations", fixations, minimum=1),
                         sigma=check_float("sigma", sigma, above=0.0), heatmap_s=check_float("heatmap_s", heatmap_s, above=0.0),
                         seed=check_int("seed", seed))  # fmt: skip

    def cost(self):
        return 0, 0

    def attribute(self, images, targets):
        s = self.settings
        height, width = images.shape[-2:]
        centre = torch.tensor([(width - 1) / 2, (height - 1) / 2])
        spread = torch.tensor([s["sigma"] * width, s["sigma"] * height])
        draws = torch.stack([torch.randn(s["fixations"], 2, generator=image_generator(image, s["seed"]))
                             for image in images])  # fmt: skip
        upper = torch.tensor([width - 1.0, height - 1.0])
        fixations_xy = torch.minimum(torch.maximum(centre + spread * draws, torch.zeros(2)), upper)
        maps = scanpath_attribution(fixations_xy, height, width, heatmap_s=s["heatmap_s"])
        return maps.to(images.device), {"fixations_xy": fixations_xy.to(images.device)}

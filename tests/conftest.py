"""Shared fixtures: a synthetic classifier with known evidence, the bundled model, the shared data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from torch import nn

# The hub is unreachable here: fail fast instead of retrying for half a minute.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
torch.set_num_threads(min(2, torch.get_num_threads()))
# tests/test_portability.py re-runs the pinned-number tests with another thread count and with oneDNN off
# (ATEN_CPU_CAPABILITY and ONEDNN_MAX_CPU_ISA are read by torch itself, when it is imported).
if os.environ.get("FOVEX_TEST_THREADS"):
    torch.set_num_threads(int(os.environ["FOVEX_TEST_THREADS"]))
if os.environ.get("FOVEX_MKLDNN") == "0":
    torch.backends.mkldnn.enabled = False

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("FOVEX_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


class PatchEvidence(nn.Module):
    """Feature map (B, 1, H, W): squared Laplacian of the grey image, zero outside the patch.

    Blur removes the Laplacian's energy, so the evidence is present only where the patch is sharp.
    """

    def __init__(self, patch_box_xyxy: tuple[int, int, int, int], size: int):
        super().__init__()
        laplacian = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
        self.conv = nn.Conv2d(3, 1, 3, padding=1, bias=False)
        self.conv.weight.data = laplacian.expand(1, 3, 3, 3) / 3.0
        x0, y0, x1, y1 = patch_box_xyxy
        mask = torch.zeros(1, 1, size, size)
        mask[..., y0 : y1 + 1, x0 : x1 + 1] = 1.0
        self.register_buffer("mask", mask)

    def forward(self, images):
        return self.conv(images).pow(2) * self.mask


class PatchEvidenceNet(nn.Module):
    """Two classes: logit 1 = gain * mean patch evidence - offset, logit 0 = 0."""

    def __init__(self, patch_box_xyxy, size, gain=40.0, offset=1.0):
        super().__init__()
        self.features = PatchEvidence(patch_box_xyxy, size)
        self.gain, self.offset = gain, offset
        self.patch_area = (patch_box_xyxy[2] - patch_box_xyxy[0] + 1) * (patch_box_xyxy[3] - patch_box_xyxy[1] + 1)

    def forward(self, images):
        evidence = self.features(images).flatten(1).sum(1) / self.patch_area
        score = self.gain * evidence - self.offset
        return torch.stack([torch.zeros_like(score), score], dim=1)


PATCH_BOX = (150, 30, 189, 69)  # x0, y0, x1, y1 inclusive, 0-based; centre (169.5, 49.5)
PATCH_SIZE = 224


def make_patch_classifier(box=PATCH_BOX, size=PATCH_SIZE):
    from fovex.models import Classifier

    net = PatchEvidenceNet(box, size)
    classifier = Classifier(
        net, "patch_evidence", size, mean=(0.0,) * 3, std=(1.0,) * 3, class_names=["plain", "patch"]
    )
    # Grad-CAM style explainers look for this attribute before guessing a layer.
    classifier.cam_target_layer = net.features
    for parameter in classifier.parameters():
        parameter.requires_grad_(False)
    return classifier


def make_textured_images(batch=1, size=PATCH_SIZE, seed=0):
    """Random texture everywhere, so only the classifier's mask decides where evidence is."""
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(batch, 3, size, size, generator=generator)


@pytest.fixture(scope="session")
def patch_classifier():
    return make_patch_classifier()


@pytest.fixture(scope="session")
def bundled_model():
    import fovex

    return fovex.load_model("efficientnet_lite0")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared real data not found at {SHARED_DATA} (set FOVEX_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def imagenet_sample_files(shared_data):
    files = sorted((shared_data / "imagenet-sample").glob("*.JPEG"))
    if len(files) < 8:
        pytest.skip("imagenet-sample is incomplete")
    return files


def interrupt_background_job(command, cwd, ready, timeout_s: float = 300) -> tuple[int, str]:
    """Start ``command`` as a shell starts a background job (SIGINT ignored, inherited), wait until
    ``ready(process)`` is true, send SIGINT, and return ``(exit status, stderr)``; the process is killed
    if it does not stop within 60 s (the test then fails on its status)."""
    import signal
    import subprocess
    import time

    process = subprocess.Popen(
        command,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        deadline = time.monotonic() + timeout_s
        while not ready(process):
            assert process.poll() is None, process.stderr.read().decode()[-3000:]
            assert time.monotonic() < deadline, f"not ready after {timeout_s} s"
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        returncode = process.wait(timeout=60)  # promptly, not after the remaining work
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    stderr = process.stderr.read().decode()
    process.stderr.close()
    return returncode, stderr

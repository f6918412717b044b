import math

import pytest
import torch
from torch import nn

from fovex import FovEx
from fovex.benchmark import pass_flops, pass_times, peak_flops, time_explainer
from fovex.models import Classifier


def _classifier(net, size):
    classifier = Classifier(net, "tiny", size, mean=(0.0,) * 3, std=(1.0,) * 3, class_names=["a", "b"])
    return classifier.eval()


def test_linear_flops_are_two_per_multiply_add():
    # Forward: 2 * in * out; the input gradient is grad_out @ W: another 2 * in * out.
    size = 4
    linear = nn.Linear(3 * size * size, 2)
    model = _classifier(nn.Sequential(nn.Flatten(), linear), size)
    forward, forward_backward = pass_flops(model, (size, size))
    assert forward == 2 * 48 * 2
    assert forward_backward == 2 * forward
    # The parameters' own requires_grad flags come back untouched.
    assert linear.weight.requires_grad and linear.bias.requires_grad


def test_convolution_flops_match_the_hand_count():
    # Conv 3->2, 3x3, padding 1 on 5x5: 2 * (2 * 25 outputs) * (3 * 3 * 3) = 2700; the input gradient of
    # a stride-1 convolution is a transposed convolution of the same size.
    conv = nn.Conv2d(3, 2, 3, padding=1).requires_grad_(False)
    model = _classifier(nn.Sequential(conv, nn.AdaptiveAvgPool2d(1), nn.Flatten()), 5)
    forward, forward_backward = pass_flops(model, (5, 5))
    assert forward == 2700
    assert forward_backward == 5400
    assert not conv.weight.requires_grad


@pytest.mark.parametrize(
    "name, dtype, expected",
    [
        ("NVIDIA H100 80GB HBM3", "bfloat16", 989.4e12),
        ("NVIDIA H100 PCIe", "bfloat16", 756.0e12),
        ("NVIDIA H200", "float32", 66.9e12),
        ("NVIDIA A100-SXM4-80GB", "float16", 312.0e12),
        ("Tesla T4", "bfloat16", None),  # no bf16 tensor cores
        ("AMD EPYC", "float32", None),
    ],
)
def test_peak_flops_lookup(name, dtype, expected):
    assert peak_flops(name, dtype) == (None if expected is None else pytest.approx(expected))


def test_floor_under_autocast_runs_in_that_dtype():
    seen = []

    class Recorder(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(48, 2)

        def forward(self, images):
            out = self.linear(images.flatten(1))
            seen.append(out.dtype)
            return out

    model = _classifier(Recorder(), 4)
    images = torch.rand(2, 3, 4, 4)
    forward_s, forward_backward_s = pass_times(model, images, repeats=1, warmup=0, autocast="bfloat16")
    assert forward_s > 0 and forward_backward_s > 0
    assert seen and all(dtype == torch.bfloat16 for dtype in seen)


def test_time_explainer_accounts_passes_and_flops(patch_classifier):
    images = torch.rand(2, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    explainer = FovEx(patch_classifier, fixations=1, steps=3)
    row = time_explainer(explainer, images, targets=torch.tensor([1, 1]), floor_repeats=1)
    assert (row.forward_passes, row.backward_passes) == (4, 3)
    assert row.batch_size == 2 and row.dtype == "float32"
    assert row.images_per_s == pytest.approx(1.0 / row.seconds_per_image)
    assert row.ratio_to_floor == pytest.approx(row.seconds_per_image / row.floor_seconds_per_image)
    forward, forward_backward = pass_flops(patch_classifier, (224, 224))
    flops = 3 * forward_backward + 1 * forward
    assert row.tflops_per_s * 1e12 * row.seconds_per_image == pytest.approx(flops)
    assert math.isnan(row.fraction_of_peak)  # no known peak for a CPU


def test_fovex_exposes_its_autocast_dtype(patch_classifier):
    assert FovEx(patch_classifier).autocast is None
    assert FovEx(patch_classifier, autocast="bfloat16").autocast == "bfloat16"

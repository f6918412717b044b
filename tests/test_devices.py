"""fovex.devices: synchronize waits on the device a timer measures, and only there; deterministic sets
the bit-stable flags inside its block and restores them after."""

from __future__ import annotations

import os

import pytest
import torch

from fovex.devices import deterministic, synchronize


def test_synchronize_waits_on_the_given_accelerator_only(monkeypatch):
    calls = []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: calls.append(("cuda", device)))
    monkeypatch.setattr(torch.mps, "synchronize", lambda: calls.append(("mps", None)))
    synchronize("cpu")
    synchronize(torch.device("cpu"))
    assert calls == []  # CPU work is done when the call returns
    synchronize("cuda:1")
    synchronize(torch.device("mps"))
    assert calls == [("cuda", torch.device("cuda:1")), ("mps", None)]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_synchronize_drains_the_cuda_stream():
    x = torch.randn(1024, 1024, device="cuda")
    y = x @ x
    synchronize(y.device)
    assert torch.cuda.current_stream(y.device).query()  # nothing left queued


def _flags():
    return (
        torch.backends.cuda.matmul.allow_tf32,
        torch.backends.cudnn.allow_tf32,
        torch.backends.cudnn.benchmark,
        torch.backends.cudnn.deterministic,
        torch.are_deterministic_algorithms_enabled(),
        os.environ.get("CUBLAS_WORKSPACE_CONFIG"),
    )


@pytest.fixture
def fast_flags(monkeypatch):
    """The fast settings a GPU user would have (TF32 on, autotuning on), put back after the test."""
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32, torch.backends.cudnn.benchmark
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = torch.backends.cudnn.benchmark = True
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32, torch.backends.cudnn.benchmark = saved


@pytest.mark.parametrize("fails", [False, True])
def test_deterministic_sets_the_flags_inside_and_restores_them_after(fast_flags, fails):
    before = _flags()
    assert before == (True, True, True, False, False, None)
    with deterministic(False):
        assert _flags() == before  # off: nothing touched
    try:
        with deterministic(True):
            assert _flags() == (False, False, False, True, True, ":4096:8")
            if fails:
                raise KeyError("a failing run")
    except KeyError:
        pass
    assert _flags() == before


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_the_neva_step_loop_never_synchronises_with_the_gpu():
    # CUDA's sync debug mode raises on every call that makes the host wait for the device (.item(),
    # a device-to-host copy, nonzero, ...): none may happen in the T x K loop.
    import fovex
    from fovex.neva import NevaSettings, scanpath_steps

    model = fovex.load_model("efficientnet_lite0", device="cuda")
    images = torch.rand(4, 3, 224, 224, device="cuda")
    settings = NevaSettings(fixations=2, steps=3)
    draws = torch.rand(4, 2, 3, 2, device="cuda")
    targets = torch.zeros(4, dtype=torch.long, device="cuda")
    scanpath_steps(model, images, images * 0.5, targets, draws, settings)  # warm-up: cuDNN, allocator
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        fixations, _ = scanpath_steps(model, images, images * 0.5, targets, draws, settings)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert fixations.shape == (4, 2, 2)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_rise_on_the_gpu_makes_the_cpu_maps():
    # The masks are drawn from the same per-image CPU generator and made on the GPU: the maps agree
    # with the CPU's up to float rounding (bilinear upsampling and the model run on another device).
    import fovex

    model = fovex.load_model("efficientnet_lite0")
    images = torch.rand(2, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    on_cpu = fovex.explainer("rise", model, masks=64).explain(images, targets=[1, 2]).attribution
    model = model.to("cuda")
    on_gpu = fovex.explainer("rise", model, masks=64).explain(images.cuda(), targets=[1, 2]).attribution
    torch.testing.assert_close(on_gpu.cpu(), on_cpu, atol=2e-3, rtol=0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_deterministic_gpu_gradients_repeat_bit_for_bit():
    import fovex

    model = fovex.load_model("efficientnet_lite0", device="cuda")
    images = torch.rand(8, 3, 224, 224, device="cuda")

    def input_gradient():
        inputs = images.clone().requires_grad_(True)
        (gradient,) = torch.autograd.grad(model(inputs).logsumexp(1).sum(), inputs)
        return gradient

    with deterministic():
        first, second = input_gradient(), input_gradient()
    assert torch.equal(first, second)

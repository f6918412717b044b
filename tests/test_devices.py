"""fovex.devices.synchronize: waits on the device a timer measures, and only there."""

from __future__ import annotations

import pytest
import torch

from fovex.devices import synchronize


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

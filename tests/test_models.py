from pathlib import Path

import pytest
import torch

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
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(RuntimeError, match="weights=PATH"):
        load_model("resnet50", weights="default")


@pytest.mark.parametrize("suffix", [".safetensors", ".pth"])
def test_local_checkpoint_round_trip(tmp_path, suffix):
    torch.manual_seed(0)
    random_model = load_model("resnet50", weights=None)
    state = {k: v.contiguous() for k, v in random_model.backbone.state_dict().items()}
    path = tmp_path / f"resnet50{suffix}"
    if suffix == ".safetensors":
        from safetensors.torch import save_file

        save_file(state, str(path))
    else:
        torch.save({"state_dict": state}, path)
    restored = load_model("resnet50", weights=path)
    images = torch.rand(1, 3, 224, 224)
    with torch.no_grad():
        assert torch.allclose(random_model(images), restored(images), atol=1e-5)
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

"""Baseline explainers (fovex.baselines): correctness against hand computations, localisation on the
synthetic patch classifier, batch independence, model coverage, errors and cost bookkeeping."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from conftest import PATCH_BOX, make_patch_classifier, make_textured_images
from torch import nn

import fovex
from fovex.explain import GAE, RISE, cam_target_layer
from fovex.models import Classifier

NON_RANDOM = {
    "gradcam": {},
    "gradcam++": {},
    "scorecam": {},
    "meaningful_perturbation": {"steps": 100},
    "rise": {"masks": 500},
}


def argmax_xy(attribution: torch.Tensor) -> tuple[int, int]:
    """(x, y) pixel of the maximum of one (H, W) map."""
    index = int(attribution.flatten().argmax())
    return index % attribution.shape[1], index // attribution.shape[1]


def distance_to_box(x: int, y: int, box) -> float:
    x0, y0, x1, y1 = box
    dx = max(x0 - x, 0, x - x1)
    dy = max(y0 - y, 0, y - y1)
    return math.hypot(dx, dy)


def count_hooks(model: nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks) for m in model.modules())


def make_tiny_cnn(seed: int = 0) -> Classifier:
    """Conv-ReLU-Conv(stride 2)-ReLU -> global average pool -> linear, 5 classes, 32 px inputs."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 6, 3, stride=2, padding=1), nn.ReLU()
        )
        head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 5))
    classifier = Classifier(
        nn.Sequential(features, head),
        "tiny_cnn",
        32,
        mean=(0.5,) * 3,
        std=(0.25,) * 3,
        class_names=[f"class{i}" for i in range(5)],
    )
    classifier.cam_target_layer = features
    for parameter in classifier.parameters():
        parameter.requires_grad_(False)
    return classifier


def make_tiny_vit(name: str, size: int, class_names: list[str], **architecture) -> Classifier:
    """A small timm ViT (random weights) as a :class:`Classifier` of ``size`` px and ``class_names``."""
    import timm

    backbone = timm.create_model(
        "vit_base_patch16_224", pretrained=False, img_size=size, num_classes=len(class_names), **architecture
    )
    return Classifier(backbone, name, size, (0.5,) * 3, (0.5,) * 3, class_names)


def hand_gradcam(features_fn, head_fn, images, targets, size):
    """ReLU(sum_k mean_uv(dy/dA_k) A_k), bilinear to ``size``, min-max per image, via autograd."""
    with torch.enable_grad():
        features = features_fn(images).detach().requires_grad_(True)
        logits = head_fn(features)
        (grads,) = torch.autograd.grad(logits[torch.arange(len(targets)), targets].sum(), features)
    weights = grads.mean(dim=(2, 3), keepdim=True)
    cam = (weights * features).sum(1, keepdim=True).clamp_min(0.0).detach()
    assert cam.flatten(1).amax(1).min() > 0, "degenerate test case: an all-zero CAM"
    up = F.interpolate(cam, size=size, mode="bilinear", align_corners=False)[:, 0]
    low = up.flatten(1).amin(1)[:, None, None]
    high = up.flatten(1).amax(1)[:, None, None]
    return (up - low) / (high - low)


def seeded_random_model(name: str, seed: int = 0):
    """Random weights, the same whatever ran before (timm initialises from the global RNG).

    Random weights can legitimately give an all-zero (hence constant) CAM for a class, so the tests
    on these models check shapes, ranges, targets and bookkeeping; content is checked elsewhere.
    """
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return fovex.load_model(name, weights=None)


@pytest.fixture(scope="module")
def resnet50():
    return seeded_random_model("resnet50")


@pytest.fixture(scope="module")
def vit_b16():
    return seeded_random_model("vit_base_patch16_224")


@pytest.fixture(scope="module")
def small_patch():
    """A 64 px patch classifier: cheap enough to run stochastic explainers on batches."""
    box = (40, 8, 55, 23)
    return make_patch_classifier(box, 64), box


# --- registry, defaults, errors ----------------------------------------------------------------


def test_create_and_list_explainers_with_the_old_names_as_aliases():
    assert fovex.list_explainers() == fovex.explainers() and "fovex" in fovex.list_explainers()
    assert fovex.explainer is fovex.create_explainer
    assert isinstance(fovex.create_explainer("random", make_patch_classifier((0, 0, 8, 8), 32)), fovex.Explainer)


def test_registered_names():
    names = fovex.explainers()
    for name in [
        "gradcam",
        "gradcam++",
        "scorecam",
        "meaningful_perturbation",
        "rise",
        "gae",
        "random",
        "centre",
        "centre_scanpath",
    ]:
        assert name in names


def test_unknown_name_lists_valid_ones(patch_classifier):
    with pytest.raises(ValueError, match="unknown explainer 'gradcampp'.*gradcam\\+\\+.*rise"):
        fovex.explainer("gradcampp", patch_classifier)


def test_defaults_are_the_published_ones(patch_classifier):
    rise = fovex.explainer("rise", patch_classifier)
    assert {k: rise.settings[k] for k in ("masks", "cells", "p1")} == {"masks": 4000, "cells": 7, "p1": 0.5}
    assert rise.cost() == (4000, 0)
    mp = fovex.explainer("meaningful_perturbation", patch_classifier)
    expected = {"steps": 300, "lr": 0.1, "mask_size": 28, "l1": 1e-4, "tv": 1e-2, "tv_beta": 3.0, "blur_sigma_px": 10.0}
    assert {k: mp.settings[k] for k in expected} == expected
    assert mp.cost() == (301, 300)
    assert fovex.explainer("centre", patch_classifier).settings == {"sigma": 0.25}


def test_gae_refuses_models_without_attention(resnet50, bundled_model):
    for model in (resnet50, bundled_model):
        with pytest.raises(ValueError, match="attention"):
            fovex.explainer("gae", model)


def test_cam_without_known_layer_says_what_to_do():
    backbone = nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 3))
    model = Classifier(backbone, "flat", 8, (0.0,) * 3, (1.0,) * 3, ["a", "b", "c"])
    with pytest.raises(ValueError, match="cam_target_layer"):
        fovex.explainer("gradcam", model)
    with pytest.raises(ValueError, match="not a submodule"):
        fovex.explainer("gradcam", make_tiny_cnn(), target_layer="backbone.nope")


def test_bad_settings_are_rejected(patch_classifier):
    with pytest.raises(ValueError):
        fovex.explainer("rise", patch_classifier, p1=0.0)
    with pytest.raises(ValueError):
        fovex.explainer("meaningful_perturbation", patch_classifier, steps=0)
    # An unknown name is refused with the valid ones (the explainer's Settings dataclass lists them).
    with pytest.raises(ValueError, match="unknown setting.*no_such_setting; valid: target_layer"):
        fovex.explainer("gradcam", patch_classifier, no_such_setting=1)
    with pytest.raises(ValueError, match="gae: unknown setting.*valid: none"):
        fovex.explain.explainer_class("gae").resolve_settings({"masks": 10})


@pytest.mark.parametrize(
    "name, settings, message",
    [
        ("fovex", {"fovea_s": float("nan")}, "fovea_s must be a finite number"),
        ("fovex", {"lr": float("nan")}, "lr must be a finite number"),
        ("fovex", {"fovea_s": 0}, "fovea_s must be > 0"),
        ("fovex", {"heatmap_s": 0}, "heatmap_s must be > 0"),
        ("fovex", {"restarts": "no"}, "restarts must be true or false"),
        ("fovex", {"steps": 2.5}, "steps must be an integer"),
        ("fovex", {"seed": None}, "seed must be an integer"),
        ("fovex", {"blur_kernel_px": 40}, "blur_kernel_px must be odd"),
        ("fovex", {"forgetting": 1.5}, r"forgetting must be in \[0.0, 1.0\]"),
        ("rise", {"masks": True}, "masks must be an integer"),
        ("rise", {"p1": float("inf")}, "p1 must be a finite number"),
        ("meaningful_perturbation", {"lr": -1.0}, "lr must be > 0"),
        ("centre", {"sigma": float("nan")}, "sigma must be a finite number"),
        ("centre_scanpath", {"fixations": 0}, "fixations must be >= 1"),
        ("random", {"seed": 1.5}, "seed must be an integer"),
    ],
)
def test_every_setting_is_validated_at_construction_with_its_name(patch_classifier, name, settings, message):
    """Issue 15, item 6: types, finiteness and ranges are checked before any work, naming the setting."""
    with pytest.raises(ValueError, match=message):
        fovex.explainer(name, patch_classifier, **settings)


# --- correctness against hand computations -----------------------------------------------------


def test_gradcam_equals_hand_computation_on_tiny_cnn():
    model = make_tiny_cnn()
    images = torch.rand(3, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    targets = torch.tensor([0, 2, 4])
    explanation = fovex.explainer("gradcam", model).explain(images, targets)
    features, head = model.backbone[0], model.backbone[1]
    expected = hand_gradcam(lambda x: features(model.normalize(x)), head, images, targets, (32, 32))
    torch.testing.assert_close(explanation.attribution, expected, atol=1e-5, rtol=1e-4)
    assert explanation.targets.tolist() == [0, 2, 4]
    assert (explanation.forward_passes, explanation.backward_passes) == (1, 1)
    assert count_hooks(model) == 0


def test_gradcam_on_bundled_model_hooks_the_pooled_feature_map(bundled_model):
    """EfficientNet-Lite: the CAM layer is the head's rectified map that global pooling averages."""
    images = torch.rand(2, 3, 224, 224, generator=torch.Generator().manual_seed(2))
    backbone = bundled_model.backbone
    features_fn = lambda x: backbone.extract_features(bundled_model.normalize(x))  # noqa: E731
    head_fn = lambda a: backbone._fc(a.mean(dim=(2, 3)))  # noqa: E731
    with torch.no_grad():
        torch.testing.assert_close(head_fn(features_fn(images)), bundled_model(images), atol=1e-4, rtol=1e-4)
    explanation = fovex.explainer("gradcam", bundled_model).explain(images)
    expected = hand_gradcam(features_fn, head_fn, images, explanation.targets, (224, 224))
    torch.testing.assert_close(explanation.attribution, expected, atol=1e-4, rtol=1e-3)
    assert explanation.settings["target_layer"] == "backbone._avg_pooling:input"
    assert count_hooks(bundled_model) == 0


def test_scorecam_matches_the_library_unbounded_version():
    """The chunked Score-CAM weights equal pytorch-grad-cam's own (all masks at once)."""
    from pytorch_grad_cam import ScoreCAM as LibraryScoreCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    model = make_tiny_cnn(seed=3)
    images = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(4))
    explainer = fovex.explainer("scorecam", model, batch_size=4)  # 6 channels: chunks of 4 and 2
    assert explainer.cost() == (7, 0)  # probed before any run: 1 + 6 channels
    explanation = explainer.explain(images, targets=[1, 3])
    library = LibraryScoreCAM(model, [model.cam_target_layer])
    try:
        expected = torch.from_numpy(library(images, [ClassifierOutputTarget(1), ClassifierOutputTarget(3)]))
    finally:
        library.activations_and_grads.release()
    expected = fovex.explain.normalize_per_image(expected)
    torch.testing.assert_close(explanation.attribution, expected, atol=1e-5, rtol=1e-4)
    assert (explanation.forward_passes, explanation.backward_passes) == (7, 0)


def test_gae_equals_hand_rollout_on_tiny_vit():
    """R = I; R += mean_h[(dA * A)^+] R per block; class row over patches, from a hand-written forward."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = make_tiny_vit(
            "tiny_vit", 32, [f"c{i}" for i in range(5)], patch_size=8, embed_dim=32, depth=3, num_heads=4
        )
    backbone = model.backbone
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    images = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(5))
    targets = torch.tensor([1, 4])

    with torch.enable_grad():
        # Weights are frozen: the input must require grad for the attention maps to carry one.
        x = backbone._pos_embed(backbone.patch_embed(model.normalize(images.clone().requires_grad_(True))))
        attentions = []
        for block in backbone.blocks:
            attn = block.attn
            h = block.norm1(x)
            qkv = attn.qkv(h).reshape(2, x.shape[1], 3, attn.num_heads, attn.head_dim).permute(2, 0, 3, 1, 4)
            q, k, v = qkv.unbind(0)
            a = ((q * attn.scale) @ k.transpose(-2, -1)).softmax(-1)
            attentions.append(a)
            x = x + block.ls1(attn.proj((a @ v).transpose(1, 2).reshape(x.shape)))
            x = x + block.ls2(block.mlp(block.norm2(x)))
        logits = backbone.forward_head(backbone.norm(x))
        torch.testing.assert_close(logits, model(images), atol=1e-5, rtol=1e-4)  # the hand forward is the model
        grads = torch.autograd.grad(logits[torch.arange(2), targets].sum(), attentions)
    relevance = torch.eye(x.shape[1]).expand(2, -1, -1)
    for a, g in zip(attentions, grads):
        relevance = relevance + (g * a).clamp_min(0).mean(1) @ relevance
    grid = relevance[:, 0, 1:].reshape(2, 1, 4, 4)
    expected = fovex.explain.normalize_per_image(F.interpolate(grid, size=(32, 32), mode="bilinear")[:, 0])

    fused = [block.attn.fused_attn for block in backbone.blocks]
    explanation = fovex.explainer("gae", model).explain(images, targets)
    torch.testing.assert_close(explanation.attribution, expected, atol=1e-5, rtol=1e-4)
    assert [block.attn.fused_attn for block in backbone.blocks] == fused  # restored
    assert count_hooks(model) == 0


def test_rise_masks_are_smooth_shifted_and_have_mean_p1():
    explainer = RISE(make_tiny_cnn(), masks=2000, cells=4, p1=0.5)
    generator = torch.Generator().manual_seed(0)
    grids = (torch.rand(2000, 4, 4, generator=generator) < 0.5).float()
    shifts = torch.randint(0, 8, (2000, 2), generator=generator)
    masks = explainer._masks(grids, shifts, 32, 32)
    assert masks.shape == (2000, 1, 32, 32)
    assert masks.min() >= 0 and masks.max() <= 1 + 1e-6
    assert abs(float(masks.mean()) - 0.5) < 0.02
    # Smooth: neighbouring pixels differ by at most one cell's ramp (1 / 8 per pixel at 8 px cells).
    assert float((masks[..., 1:] - masks[..., :-1]).abs().max()) <= 1 / 8 + 1e-6
    # A shift moves the mask: the same grid at two shifts differs.
    same = grids[:1].expand(2, -1, -1)
    moved = explainer._masks(same, torch.tensor([[0, 0], [3, 5]]), 32, 32)
    assert not torch.allclose(moved[0], moved[1])
    full = F.interpolate(same[:1, None], size=(40, 40), mode="bilinear")[0, 0]
    assert torch.allclose(moved[1, 0], full[3:35, 5:37])
    assert torch.allclose(moved[0, 0], full[:32, :32])


def test_rise_makes_its_masks_on_the_grids_device():
    # The masks are made where the draws were moved (the images' device): on the meta device, which
    # has no values, every intermediate must live there too; a CPU-made index would not mix with it.
    explainer = RISE(make_tiny_cnn(), masks=16, cells=4)
    generator = torch.Generator().manual_seed(1)
    grids = (torch.rand(16, 4, 4, generator=generator) < 0.5).float()
    shifts = torch.randint(0, 8, (16, 2), generator=generator)
    on_meta = explainer._masks(grids.to("meta"), shifts.to("meta"), 32, 32)
    assert on_meta.device.type == "meta" and on_meta.shape == (16, 1, 32, 32)
    with pytest.raises(RuntimeError):  # the check has teeth: a CPU tensor does not mix with meta ones
        shifts.to("meta")[:, :1] + torch.arange(32)


# --- localisation on the synthetic classifier --------------------------------------------------


@pytest.mark.parametrize("name", sorted(NON_RANDOM))
def test_map_peaks_on_the_patch(patch_classifier, name):
    images = make_textured_images(1, seed=3)
    explanation = fovex.explainer(name, patch_classifier, **NON_RANDOM[name]).explain(images, targets=1)
    assert explanation.attribution.shape == (1, 224, 224)
    x, y = argmax_xy(explanation.attribution[0])
    assert distance_to_box(x, y, PATCH_BOX) <= 20, f"{name} peaks at {(x, y)}, far from the patch {PATCH_BOX}"
    assert count_hooks(patch_classifier) == 0


def test_meaningful_perturbation_deletes_the_evidence(small_patch):
    model, box = small_patch
    images = make_textured_images(1, 64, seed=4)
    explanation = fovex.explainer("meaningful_perturbation", model, steps=100).explain(images, targets=1)
    clean = torch.softmax(model(images), 1)[0, 1]
    assert float(explanation.extras["perturbed_score"][0]) < 0.5 * float(clean)
    inside = explanation.attribution[0, box[1] : box[3] + 1, box[0] : box[2] + 1].mean()
    assert inside > 2 * explanation.attribution[0].mean()


def test_centre_peaks_at_the_centre(patch_classifier):
    explanation = fovex.explainer("centre", patch_classifier).explain(make_textured_images(2), targets=1)
    for attribution in explanation.attribution:
        x, y = argmax_xy(attribution)
        assert x in (111, 112) and y in (111, 112)
    assert torch.equal(explanation.attribution[0], explanation.attribution[1])
    assert (explanation.forward_passes, explanation.backward_passes) == (0, 0)


def test_random_map_ignores_the_image_but_follows_the_seed(patch_classifier):
    first, second = make_textured_images(1, seed=5), make_textured_images(1, seed=6)
    random42 = fovex.explainer("random", patch_classifier, seed=42)
    a = random42.explain(first, targets=1).attribution
    b = random42.explain(second, targets=1).attribution
    assert torch.equal(a, b)
    c = fovex.explainer("random", patch_classifier, seed=7).explain(first, targets=1).attribution
    assert not torch.allclose(a, c)
    assert float(a.std()) > 0.2  # noise, not a constant


def test_centre_scanpath_draws_from_the_centre_bias_density(patch_classifier):
    images = make_textured_images(3, seed=8)
    explainer = fovex.explainer("centre_scanpath", patch_classifier, fixations=400, sigma=0.1)
    explanation = explainer.explain(images, targets=1)
    fixations = explanation.fixations_xy
    assert fixations.shape == (3, 400, 2) and explanation.passes == 0  # targets given: no model pass at all
    assert float(fixations.min()) >= 0 and float(fixations.max()) <= 223
    # N(centre, (0.1 * 224 px)^2) per axis: the sample mean within 4 standard errors, the spread near 22.4 px.
    mean, std = fixations.mean(dim=1), fixations.std(dim=1)
    assert torch.all((mean - 111.5).abs() < 4 * 22.4 / 20) and torch.all((std - 22.4).abs() < 3)
    # Per-image draws: each image its own path, the same alone as in the batch.
    assert not torch.equal(fixations[0], fixations[1])
    alone = explainer.explain(images[1:2], targets=1)
    assert torch.equal(alone.fixations_xy[0], fixations[1])
    # The map is FovEx's construction from these fixations.
    expected = fovex.explain.scanpath_attribution(fixations, 224, 224, heatmap_s=0.15)
    torch.testing.assert_close(explanation.attribution, expected)


# --- batch independence ------------------------------------------------------------------------


@pytest.mark.parametrize("name, settings", [("rise", {"masks": 200}), ("meaningful_perturbation", {"steps": 60})])
def test_stochastic_maps_do_not_depend_on_the_batch(small_patch, name, settings):
    model, _ = small_patch
    images = make_textured_images(3, 64, seed=7)
    explainer = fovex.explainer(name, model, **settings)
    batch = explainer.explain(images, targets=1).attribution
    alone = explainer.explain(images[1:2], targets=1).attribution
    torch.testing.assert_close(alone[0], batch[1], atol=1e-5, rtol=1e-4)
    # Different images draw different masks / initialisations: not one shared map.
    assert not torch.allclose(batch[0], batch[2], atol=1e-3)


def test_rise_batch_size_changes_memory_not_the_map(small_patch):
    model, _ = small_patch
    images = make_textured_images(1, 64, seed=8)
    a = fovex.explainer("rise", model, masks=120, batch_size=7).explain(images, targets=1).attribution
    b = fovex.explainer("rise", model, masks=120, batch_size=120).explain(images, targets=1).attribution
    torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)
    # The default (None) picks a speed-only batch size per device: the same map again.
    default = fovex.explainer("rise", model, masks=120)
    assert default.config.batch_size is None
    torch.testing.assert_close(default.explain(images, targets=1).attribution, b, atol=1e-5, rtol=1e-4)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        fovex.explainer("rise", model, masks=120, batch_size=0)


def test_cam_maps_do_not_depend_on_the_batch():
    model = make_tiny_cnn()
    images = torch.rand(3, 3, 32, 32, generator=torch.Generator().manual_seed(9))
    for name in ("gradcam", "gradcam++"):
        explainer = fovex.explainer(name, model)
        batch = explainer.explain(images, targets=2).attribution
        alone = explainer.explain(images[2:], targets=2).attribution
        torch.testing.assert_close(alone[0], batch[2], atol=1e-5, rtol=1e-4)


# --- real models -------------------------------------------------------------------------------

REDUCED = {
    "gradcam": {},
    "gradcam++": {},
    "rise": {"masks": 8, "batch_size": 8},
    "meaningful_perturbation": {"steps": 1},
    "random": {},
    "centre": {},
}


def check_explanation(explanation, targets, size=224):
    assert explanation.attribution.shape == (len(targets), size, size)
    assert explanation.attribution.dtype == torch.float32
    assert float(explanation.attribution.min()) >= 0.0 and float(explanation.attribution.max()) <= 1.0
    assert explanation.targets.tolist() == list(targets)


@pytest.mark.parametrize("name", sorted(REDUCED))
def test_resnet50_shapes_ranges_targets(resnet50, name):
    images = torch.rand(2, 3, 224, 224, generator=torch.Generator().manual_seed(10))
    explanation = fovex.explainer(name, resnet50, **REDUCED[name]).explain(images, targets=[3, 999])
    check_explanation(explanation, [3, 999])
    if name in ("gradcam", "gradcam++"):
        assert explanation.settings["target_layer"] == "backbone.layer4.2"
    assert count_hooks(resnet50) == 0


@pytest.mark.parametrize("name", sorted(REDUCED) + ["gae"])
def test_vit_b16_shapes_ranges_targets(vit_b16, name):
    images = torch.rand(1, 3, 224, 224, generator=torch.Generator().manual_seed(11))
    fused = [block.attn.fused_attn for block in vit_b16.backbone.blocks]
    explanation = fovex.explainer(name, vit_b16, **REDUCED.get(name, {})).explain(images, targets=[7])
    check_explanation(explanation, [7])
    if name in ("gradcam", "gradcam++", "gae"):
        assert (explanation.forward_passes, explanation.backward_passes) == (1, 1)
    if name in ("gradcam", "gradcam++"):
        assert explanation.settings["target_layer"] == "backbone.blocks.11.norm1"
    assert count_hooks(vit_b16) == 0
    assert [block.attn.fused_attn for block in vit_b16.backbone.blocks] == fused


def test_vit_reshape_follows_the_model():
    """A ViT with another patch size and register tokens: the CAM reshape is derived, not 14x14/1."""

    model = make_tiny_vit("odd_vit", 48, list("abcd"), patch_size=12, embed_dim=24, depth=2, num_heads=2, reg_tokens=2)
    backbone = model.backbone
    assert backbone.num_prefix_tokens == 3
    explanation = fovex.explainer("gradcam", model).explain(torch.rand(2, 3, 48, 48), targets=1)
    check_explanation(explanation, [1, 1], size=48)
    explanation = GAE(model).explain(torch.rand(1, 3, 48, 48), targets=2)
    check_explanation(explanation, [2], size=48)


@pytest.mark.parametrize("name", sorted(REDUCED))
def test_bundled_model_shapes_ranges_targets(bundled_model, name):
    images = torch.rand(2, 3, 224, 224, generator=torch.Generator().manual_seed(12))
    explanation = fovex.explainer(name, bundled_model, **REDUCED[name]).explain(images)
    with torch.no_grad():
        top1 = bundled_model(images).argmax(1).tolist()
    check_explanation(explanation, top1)
    forward, backward = fovex.explainer(name, bundled_model, **REDUCED[name]).cost()
    assert (explanation.forward_passes, explanation.backward_passes) == (forward + 1, backward)  # +1: top-1


def test_explicit_target_layer_wins(resnet50):
    images = torch.rand(1, 3, 224, 224, generator=torch.Generator().manual_seed(13))
    explainer = fovex.explainer("gradcam", resnet50, target_layer="backbone.layer3")
    assert explainer.settings["target_layer"] == "backbone.layer3"
    assert cam_target_layer(resnet50, "backbone.layer3")[0] is resnet50.backbone.layer3
    assert explainer.explain(images, targets=0).attribution.shape == (1, 224, 224)


def test_maps_are_class_specific(bundled_model, shared_data):
    path = shared_data / "imagenet-sample" / "n01443537_goldfish.JPEG"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    image = fovex.load_image(path)[None]
    with torch.no_grad():
        top1 = int(bundled_model(image).argmax())
    assert bundled_model.class_names[top1] == "goldfish"
    other = bundled_model.class_names.index("ostrich")
    for name in ("gradcam", "gradcam++"):
        explainer = fovex.explainer(name, bundled_model)
        own = explainer.explain(image, targets=top1).attribution
        foreign = explainer.explain(image, targets="ostrich").attribution
        assert foreign.shape == own.shape and int(explainer.explain(image, targets=other).targets) == other
        assert float((own - foreign).abs().mean()) > 0.02, f"{name} gives the same map for two classes"


# --- bad input is refused, never explained silently (issue 15, items 5 and 11) ----------------------


def test_images_out_of_range_or_not_finite_are_refused(patch_classifier):
    image = make_textured_images(1, seed=9)
    for name in ("fovex", "gradcam"):
        explainer = fovex.explainer(name, patch_classifier)
        with pytest.raises(ValueError, match=r"must lie in \[0, 1\].*divide by 255"):
            explainer.explain(image * 255)
        broken = image.clone()
        broken[0, 1, 5, 5] = float("nan")
        with pytest.raises(ValueError, match="1 NaN or infinite values"):
            explainer.explain(broken)
        with pytest.raises(ValueError, match="empty batch"):
            explainer.explain(image[:0])
        with pytest.raises(ValueError, match="at least 32 px"):
            explainer.explain(image[..., :20, :20])


def test_non_finite_model_outputs_give_no_map():
    class NaNModel(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = torch.nn.Parameter(torch.ones(()))

        def forward(self, x):
            return torch.full((x.shape[0], 2), float("nan")) * self.scale + 0 * x.mean()

    model = NaNModel()
    image = make_textured_images(1, 64, seed=1)
    with pytest.raises(ValueError, match="NaN or infinite logits"):
        fovex.FovEx(model, fixations=1, steps=1).explain(image)
    with pytest.raises(ValueError, match="outputs were not finite"):
        fovex.FovEx(model, fixations=1, steps=1).explain(image, targets=1)


def test_float64_and_float16_images_are_explained_in_the_models_dtype(small_patch):
    model, _ = small_patch
    image = make_textured_images(1, 64, seed=2)
    reference = fovex.explainer("gradcam", model).explain(image, targets=1).attribution
    for dtype in (torch.float64, torch.float16):
        attribution = fovex.explainer("gradcam", model).explain(image.to(dtype), targets=1).attribution
        torch.testing.assert_close(attribution, reference, atol=2e-3, rtol=0)


def test_class_names_are_never_resolved_silently(bundled_model):
    """Issue 15, item 7: ambiguous names, non-integers and unknown names are refused with help."""
    from fovex.explain import resolve_targets

    image = torch.zeros(1, 3, 224, 224)
    with pytest.raises(ValueError, match=r"'crane' is ambiguous: 134 \(crane\), 517 \(crane\)"):
        resolve_targets(bundled_model, image, "crane")
    with pytest.raises(ValueError, match="'maillot' is ambiguous: 638"):
        resolve_targets(bundled_model, image, ["maillot"])
    for bad in (2.7, True, 2.0):
        with pytest.raises(ValueError, match="class index \\(an integer\\)"):
            resolve_targets(bundled_model, image, [bad])
    with pytest.raises(ValueError, match="unknown class name 'tabbie'; did you mean 'tabby' \\(281\\)"):
        resolve_targets(bundled_model, image, "tabbie")
    assert resolve_targets(bundled_model, image, "Tabby")[0].tolist() == [281]
    assert resolve_targets(bundled_model, image, "134")[0].tolist() == [134]


def test_every_registered_method_has_the_name_the_field_writes():
    from fovex.explain import display_name, explainers

    assert display_name("gradcam++") == "Grad-CAM++"
    assert display_name("meaningful_perturbation") == "Meaningful Perturbation"
    assert display_name("fovex") == "FovEx" and display_name("rise") == "RISE"
    assert display_name("fovex-loss-weighted") == "FovEx-loss-weighted"  # a run's label keeps its suffix
    assert display_name("fovex s=0.3") == "FovEx s=0.3" and display_name("rise2") == "rise2"
    assert display_name("not-a-method") == "not-a-method"
    assert all(display_name(key) != key for key in explainers())  # no registry key left undisplayed


def test_targets_and_models_of_the_wrong_kind_are_refused_clearly(patch_classifier):
    """Issue 36: `explain(img, 3.0)`, a dict as targets, or a model's name in place of a model were not refused
    clearly (a TypeError from deep inside, or a wrong explanation)."""
    explainer = fovex.explainer("centre", patch_classifier)
    images = make_textured_images(batch=2)
    with pytest.raises(ValueError, match=r"a target is a class index \(an integer\) or a class name, got 3.0"):
        explainer.explain(images, 3.0)
    with pytest.raises(ValueError, match="one per image .* got a dict"):
        explainer.explain(images, {0: 1, 1: 1})
    with pytest.raises(ValueError, match="got a set"):
        explainer.explain(images, {1})
    assert explainer.explain(images, 1).targets.tolist() == [1, 1]  # one class for every image still works
    for name in ("fovex", "gradcam", "rise"):
        with pytest.raises(TypeError, match=r"model must be a classifier, got the str 'efficientnet_lite0' "):
            fovex.explainer(name, "efficientnet_lite0")
    with pytest.raises(TypeError, match=r"fovex.load_model\('efficientnet_lite0'\)"):
        fovex.FovEx("efficientnet_lite0")

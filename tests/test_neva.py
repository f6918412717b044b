import math

import pytest
import torch
import torch.nn.functional as F
from conftest import PATCH_BOX, make_patch_classifier, make_textured_images

from fovex import FovEx, NevaSettings, load_image, neva_scanpaths
from fovex.foveation import blur, blur_mask, foveate, gaussian_fovea, pixels_to_normalized
from fovex.neva import scanpath_steps

PATCH_CENTRE = ((PATCH_BOX[0] + PATCH_BOX[2]) / 2, (PATCH_BOX[1] + PATCH_BOX[3]) / 2)


def test_first_fixation_finds_the_evidence(patch_classifier):
    images = make_textured_images(2)
    explanation = FovEx(patch_classifier, fixations=2).explain(images, targets=1)
    for first in explanation.fixations_xy[:, 0]:
        distance = math.dist(first.tolist(), PATCH_CENTRE)
        assert distance < 20, f"first fixation {first.tolist()} is {distance:.1f} px from the patch"
    # Once the patch is seen, later fixations lower the loss no further: equal weights (published)
    # pull the map's peak between fixations, loss-drop weights keep it on the evidence.
    weighted = FovEx(patch_classifier, fixations=3, aggregation="loss_weighted").explain(images, targets=1)
    for attribution in weighted.attribution:
        y, x = divmod(int(attribution.argmax()), images.shape[-1])
        assert math.dist((x, y), PATCH_CENTRE) < 20


def _loss_at(model, images, targets, memory, position, settings):
    blurred = blur(images, settings.blur_kernel_px, settings.blur_sigma_px)
    fovea = gaussian_fovea(position, images.shape[-2], images.shape[-1], settings.fovea_s)
    with torch.no_grad():
        return F.cross_entropy(model(foveate(images, blurred, blur_mask(memory, fovea))), targets, reduction="none")


def test_best_loss_is_booked_against_its_own_position(patch_classifier):
    # The published code stores the loss of p_t against p_{t+1}; here re-evaluating the model at the
    # recorded fixation must give exactly the recorded loss.
    images = make_textured_images(3, seed=1)
    targets = torch.tensor([1, 1, 0])
    settings = NevaSettings(fixations=3, steps=6)
    scanpaths = neva_scanpaths(patch_classifier, images, targets, settings)
    memory = torch.zeros(3, 224, 224)
    for t in range(settings.fixations):
        recomputed = _loss_at(patch_classifier, images, targets, memory, scanpaths.fixations[:, t], settings)
        assert torch.allclose(recomputed, scanpaths.losses[:, t], atol=1e-5, rtol=1e-5)
        memory = settings.forgetting * memory + gaussian_fovea(scanpaths.fixations[:, t], 224, 224)


def test_losses_never_exceed_the_centre_start(bundled_model, imagenet_sample_files):
    images = torch.stack([load_image(f) for f in imagenet_sample_files[:2]])
    targets = bundled_model(images).argmax(1)
    settings = NevaSettings(fixations=1, steps=5)
    scanpaths = neva_scanpaths(bundled_model, images, targets, settings)
    centre_loss = _loss_at(bundled_model, images, targets, torch.zeros(2, 224, 224), torch.zeros(2, 2), settings)
    assert torch.all(scanpaths.losses[:, 0] <= centre_loss + 1e-6)


def test_batch_equivalence(bundled_model, imagenet_sample_files):
    images = torch.stack([load_image(f) for f in imagenet_sample_files[10:14]])
    explainer = FovEx(bundled_model, fixations=2, steps=5)
    together = explainer.explain(images)
    for i in range(4):
        alone = explainer.explain(images[i : i + 1])
        assert torch.equal(alone.targets, together.targets[i : i + 1])
        assert torch.allclose(alone.fixations_xy, together.fixations_xy[i : i + 1], atol=1e-4)
        assert torch.allclose(alone.attribution, together.attribution[i : i + 1], atol=1e-4)
    # Batch position does not matter either.
    reversed_batch = explainer.explain(images.flip(0))
    assert torch.allclose(reversed_batch.fixations_xy.flip(0), together.fixations_xy, atol=1e-4)


def test_determinism_and_seed(bundled_model, imagenet_sample_files):
    images = torch.stack([load_image(f) for f in imagenet_sample_files[20:22]])
    first = FovEx(bundled_model, fixations=2, steps=6, seed=7).explain(images)
    second = FovEx(bundled_model, fixations=2, steps=6, seed=7).explain(images)
    assert torch.equal(first.fixations_xy, second.fixations_xy)
    assert torch.equal(first.attribution, second.attribution)
    other = FovEx(bundled_model, fixations=2, steps=6, seed=8).explain(images)
    # Restarts are drawn from the seed: a different seed explores differently somewhere.
    assert not torch.equal(first.fixations_xy, other.fixations_xy)


def test_fixations_stay_inside_the_image(patch_classifier):
    # A patch in the corner pulls the search to the border; positions must be clamped there.
    model = make_patch_classifier(box=(0, 0, 15, 15))
    images = make_textured_images(1, seed=4)
    for restarts in (True, False):
        explanation = FovEx(model, fixations=3, steps=20, lr=0.3, restarts=restarts).explain(images, targets=1)
        xy = explanation.fixations_xy
        assert torch.all(xy >= 0) and torch.all(xy <= 223)
        assert explanation.fixations_xy[0, 0].tolist() == pytest.approx([0.0, 0.0], abs=12)


def test_pass_counts_and_output_shapes(patch_classifier):
    images = make_textured_images(2)
    explanation = FovEx(patch_classifier, fixations=4, steps=3).explain(images)
    assert explanation.attribution.shape == (2, 224, 224)
    assert explanation.fixations_xy.shape == (2, 4, 2)
    assert explanation.losses.shape == (2, 4)
    assert float(explanation.attribution.min()) == 0.0 and float(explanation.attribution.max()) == 1.0
    # 4 x 3 optimisation passes, one forward on the blurred image, one for the top-1 target.
    assert explanation.backward_passes == 12
    assert explanation.forward_passes == 14
    assert explanation.passes == 26
    given = FovEx(patch_classifier, fixations=4, steps=3).explain(images, targets=[1, 0])
    assert given.forward_passes == 13 and given.targets.tolist() == [1, 0]


def test_float64_and_meta_free_device_agnostic(patch_classifier):
    model = make_patch_classifier().double()
    images = make_textured_images(1).double()
    explanation = FovEx(model, fixations=2, steps=4).explain(images, targets=1)
    assert explanation.fixations_xy.dtype == torch.float32
    single = FovEx(patch_classifier, fixations=2, steps=4).explain(images.float(), targets=1)
    assert torch.allclose(explanation.fixations_xy, single.fixations_xy, atol=1e-3)


def test_bad_settings_and_inputs(patch_classifier):
    with pytest.raises(ValueError, match="fixations"):
        FovEx(patch_classifier, fixations=0)
    with pytest.raises(ValueError, match="aggregation"):
        FovEx(patch_classifier, aggregation="median")
    with pytest.raises(ValueError, match="unknown setting.*fovea_radius; valid: .*fovea_s"):
        FovEx(patch_classifier, fovea_radius=3)
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        FovEx(patch_classifier).explain(torch.rand(3, 224, 224))
    with pytest.raises(ValueError, match="targets"):
        FovEx(patch_classifier).explain(torch.rand(2, 3, 224, 224), targets=[1])
    with pytest.raises(ValueError, match="outside"):
        FovEx(patch_classifier).explain(torch.rand(1, 3, 224, 224), targets=[5])


def test_pixel_and_normalised_fixations_agree(patch_classifier):
    images = make_textured_images(1)
    scanpaths = neva_scanpaths(patch_classifier, images, torch.tensor([1]), NevaSettings(fixations=2, steps=4))
    explanation = FovEx(patch_classifier, fixations=2, steps=4).explain(images, targets=1)
    assert torch.allclose(pixels_to_normalized(explanation.fixations_xy, 224, 224), scanpaths.fixations, atol=1e-5)


def test_bfloat16_autocast_still_finds_the_evidence(patch_classifier):
    images = make_textured_images(1)
    explanation = FovEx(patch_classifier, fixations=1, autocast="bfloat16").explain(images, targets=1)
    assert math.dist(explanation.fixations_xy[0, 0].tolist(), PATCH_CENTRE) < 20
    with pytest.raises(ValueError, match="autocast"):
        FovEx(patch_classifier, autocast="int8")


def test_fast_preset_costs_at_most_a_quarter_and_explicit_settings_win(patch_classifier):
    images = make_textured_images(1)
    fast = FovEx(patch_classifier, preset="fast").explain(images, targets=1)
    published = FovEx(patch_classifier).explain(images, targets=1)
    assert published.backward_passes == 200 and fast.backward_passes == 48  # >= 4x fewer
    assert fast.settings["preset"] == "fast" and fast.settings["steps"] == 8 and fast.settings["fixations"] == 6
    assert math.dist(fast.fixations_xy[0, 0].tolist(), PATCH_CENTRE) < 20
    assert FovEx(patch_classifier, preset="fast", steps=7).neva.steps == 7
    with pytest.raises(ValueError, match="preset"):
        FovEx(patch_classifier, preset="turbo")


def test_step_loop_never_reads_tensors_back_to_the_host(patch_classifier, monkeypatch):
    # On a GPU every .item(), bool(tensor), .tolist() or .cpu() waits for the device; once the model
    # runs (after the per-batch set-up: seeding from the images' bytes, drawing the random numbers),
    # restarts and bookkeeping must use tensor ops only. Any such read from then on raises here.
    images = make_textured_images(2, seed=3)
    watching = {"on": False}
    original = {}

    def forbidden(name):
        def read(self, *args, **kwargs):
            if watching["on"]:
                raise AssertionError(f"host read in the step loop: Tensor.{name}")
            return original[name](self, *args, **kwargs)

        return read

    for name in ("item", "tolist", "cpu", "numpy", "__bool__", "__float__", "__int__", "__index__"):
        original[name] = getattr(torch.Tensor, name)
        monkeypatch.setattr(torch.Tensor, name, forbidden(name))

    def model(inputs):
        watching["on"] = True
        return patch_classifier(inputs)

    settings = NevaSettings(fixations=2, steps=4)
    scanpaths = neva_scanpaths(model, images, torch.tensor([1, 0]), settings)
    watching["on"] = False
    monkeypatch.undo()
    assert scanpaths.fixations.shape == (2, 2, 2)
    unwatched = neva_scanpaths(patch_classifier, images, torch.tensor([1, 0]), settings)
    assert torch.equal(scanpaths.fixations, unwatched.fixations)


@pytest.mark.parametrize("restarts", [True, False])
def test_step_loop_runs_on_the_meta_device_so_it_never_waits_for_the_device(bundled_model, restarts):
    # The meta device has shapes and dtypes but no values: reading one back to the host (.item(),
    # bool(), .tolist(), .cpu(), .numpy()) or an operation whose output shape depends on values
    # (nonzero, masked indexing, unique) raises there. On a GPU each of those waits for the queued
    # kernels; the whole T x K loop running on meta, with the real model, proves it does none.
    import copy

    model = copy.deepcopy(bundled_model).to("meta")
    images = torch.empty(3, 3, 224, 224, device="meta")
    settings = NevaSettings(fixations=2, steps=3, restarts=restarts)
    draws = torch.empty(3, settings.fixations, settings.steps, 2, device="meta")
    targets = torch.zeros(3, dtype=torch.long, device="meta")
    fixations, losses = scanpath_steps(model, images, images * 0.5, targets, draws, settings)
    assert fixations.device.type == "meta" and fixations.shape == (3, 2, 2) and losses.shape == (3, 2)
    # The check has teeth: each kind of host read is refused on meta.
    loss = torch.empty(3, device="meta")
    for read in (lambda: loss[0].item(), lambda: bool((loss < 1).all()), loss.tolist, loss.cpu, loss.nonzero):
        with pytest.raises((RuntimeError, NotImplementedError)):
            read()

"""Faithfulness metrics against models whose outputs are known in closed form."""

import math

import numpy as np
import pytest
import torch
from scipy import ndimage, signal

from fovex.foveation import blur
from fovex.metrics.faithfulness import average_drop_increase, insertion_deletion
from fovex.metrics.substrates import resolve_substrate, rise_blur, rise_blur_kernel


class SumModel(torch.nn.Module):
    """One-class 'classifier' whose logit is the sum of all pixel values (all channels)."""

    def forward(self, x):
        return x.sum(dim=(1, 2, 3)).unsqueeze(1)


class SigmoidPairModel(torch.nn.Module):
    """Two classes with logits (gain * mean(x), 0): p(class 0) = sigmoid(gain * mean(x))."""

    def __init__(self, gain, mean=None):
        super().__init__()
        self.gain = gain
        if mean is not None:
            self.mean = mean

    def forward(self, x):
        first = self.gain * x.mean(dim=(1, 2, 3))
        return torch.stack([first, torch.zeros_like(first)], dim=1)


def _sigmoid(z):
    return 1 / (1 + math.exp(-z))


# 2 x 2 image, every channel equal to v, so a pixel's sum over channels is 3 v.
V = torch.tensor([[0.1, 0.5], [0.3, 0.2]])
IMAGE = V.expand(1, 3, 2, 2).clone()
TARGET = torch.tensor([0])


# ----------------------------------------------------------------------------- insertion / deletion


def test_deletion_and_insertion_closed_form_with_a_perfect_map():
    # Order by v: 0.5, 0.3, 0.2, 0.1. Deletion to black leaves 3 * (1.1, 0.6, 0.3, 0.1, 0).
    res = insertion_deletion(
        SumModel(),
        IMAGE,
        V[None],
        TARGET,
        step=1,
        deletion_substrate="zeros",
        insertion_substrate="zeros",
        score="logit",
    )
    torch.testing.assert_close(res.deletion.scores, torch.tensor([[3.3, 1.8, 0.9, 0.3, 0.0]]))
    torch.testing.assert_close(res.insertion.scores, torch.tensor([[0.0, 1.5, 2.4, 3.0, 3.3]]))
    # AUC = (sum - a0/2 - a4/2) / 4.
    assert res.deletion.auc.item() == pytest.approx((6.3 - 1.65) / 4, abs=1e-6)
    assert res.insertion.auc.item() == pytest.approx((10.2 - 1.65) / 4, abs=1e-6)
    assert res.deletion.pixels_changed.tolist() == [0, 1, 2, 3, 4]
    assert res.deletion.fraction_changed.tolist() == [0, 0.25, 0.5, 0.75, 1]


def test_perfect_map_beats_reversed_map():
    common = dict(step=1, deletion_substrate="zeros", insertion_substrate="zeros", score="logit")
    perfect = insertion_deletion(SumModel(), IMAGE, V[None], TARGET, **common)
    reversed_ = insertion_deletion(SumModel(), IMAGE, -V[None], TARGET, **common)
    # Reversed order 0.1, 0.2, 0.3, 0.5 deletes 3 * (1.1, 1.0, 0.8, 0.5, 0).
    torch.testing.assert_close(reversed_.deletion.scores, torch.tensor([[3.3, 3.0, 2.4, 1.5, 0.0]]))
    assert perfect.deletion.mean_auc < reversed_.deletion.mean_auc
    assert perfect.insertion.mean_auc > reversed_.insertion.mean_auc


def test_mean_substrate_uses_the_models_mean_colour():
    model = SumModel()
    model.mean = (0.2, 0.4, 0.6)  # a deleted pixel then sums to 1.2
    res = insertion_deletion(model, IMAGE, V[None], TARGET, step=2, score="logit", modes=("deletion",))
    # After 2 pixels: 0.3 * 3 + 2 * 1.2; after 4: 4 * 1.2.
    torch.testing.assert_close(res.deletion.scores, torch.tensor([[3.3, 0.9 + 2.4, 4.8]]))
    assert res.insertion is None


def test_mean_substrate_falls_back_to_half_grey_with_a_warning():
    with pytest.warns(UserWarning, match="no `mean`"):
        res = insertion_deletion(SumModel(), IMAGE, V[None], TARGET, step=4, score="logit", modes=("deletion",))
    torch.testing.assert_close(res.deletion.scores, torch.tensor([[3.3, 4 * 1.5]]))


def test_softmax_score_is_the_target_probability():
    # p(class 0) = sigmoid(4 * mean(x)); mean of the 2 x 2 x 3 image = sum / 12.
    model = SigmoidPairModel(gain=4.0)
    common = dict(step=1, deletion_substrate="zeros", insertion_substrate="zeros", modes=("deletion",))
    sums = [3.3, 1.8, 0.9, 0.3, 0.0]
    res0 = insertion_deletion(model, IMAGE, V[None], torch.tensor([0]), **common)
    res1 = insertion_deletion(model, IMAGE, V[None], torch.tensor([1]), **common)
    expected0 = torch.tensor([[_sigmoid(4 * s / 12) for s in sums]])
    torch.testing.assert_close(res0.deletion.scores, expected0)
    torch.testing.assert_close(res1.deletion.scores, 1 - expected0)


def test_ties_are_broken_in_row_major_order():
    image = torch.tensor([1.0, 2.0, 3.0]).view(1, 1, 1, 3)
    res = insertion_deletion(
        SumModel(),
        image,
        torch.zeros(1, 1, 3),
        TARGET,
        step=1,
        deletion_substrate="zeros",
        score="logit",
        modes=("deletion",),
    )
    torch.testing.assert_close(res.deletion.scores, torch.tensor([[6.0, 5.0, 3.0, 0.0]]))


def test_many_ties_follow_python_stable_sort_order():
    # 8 x 8 map with only three distinct values; pixel i of the image holds i + 1, so any other
    # tie order would change the curve. Python's sorted() is stable, so it gives the reference.
    torch.manual_seed(0)
    attribution = torch.randint(0, 3, (1, 8, 8)).float()
    image = (torch.arange(64, dtype=torch.float32) + 1).view(1, 1, 8, 8)
    res = insertion_deletion(
        SumModel(), image, attribution, TARGET, step=1, deletion_substrate="zeros", score="logit", modes=("deletion",)
    )
    values = attribution.flatten().tolist()
    order = sorted(range(64), key=lambda i: -values[i])
    removed = [0.0]
    for i in order:
        removed.append(removed[-1] + i + 1)
    expected = torch.tensor([[64 * 65 / 2 - r for r in removed]])
    torch.testing.assert_close(res.deletion.scores, expected)


def test_default_step_gives_224_steps_at_any_resolution():
    # 14 x 16 = 224 pixels: one pixel per step, 225 scores.
    torch.manual_seed(0)
    image = torch.rand(1, 3, 14, 16)
    res = insertion_deletion(
        SumModel(),
        image,
        torch.rand(1, 14, 16),
        TARGET,
        deletion_substrate="zeros",
        score="logit",
        modes=("deletion",),
        batch_size=256,
    )
    assert res.deletion.scores.shape == (1, 225)
    assert res.deletion.pixels_changed.tolist() == list(range(225))
    # 20 x 20 = 400 pixels: floor(k * 400 / 224) changed after step k.
    res = insertion_deletion(
        SumModel(),
        torch.rand(1, 3, 20, 20),
        torch.rand(1, 20, 20),
        TARGET,
        deletion_substrate="zeros",
        score="logit",
        modes=("deletion",),
        batch_size=256,
    )
    assert res.deletion.pixels_changed.tolist() == [k * 400 // 224 for k in range(225)]


def test_default_is_224_pixels_per_step_at_224_squared():
    torch.manual_seed(0)
    image = torch.rand(1, 3, 224, 224)
    attribution = torch.rand(1, 224, 224)
    res = insertion_deletion(
        SumModel(),
        image,
        attribution,
        TARGET,
        deletion_substrate="zeros",
        score="logit",
        modes=("deletion",),
        batch_size=75,
    )
    assert res.deletion.pixels_changed.tolist() == [224 * k for k in range(225)]
    # Closed form: total minus the cumulative sum of pixel sums in decreasing-attribution order.
    pixel_sums = image[0].sum(0).flatten().double()
    ordered = pixel_sums[torch.argsort(attribution.flatten(), descending=True, stable=True)]
    removed = torch.cat([torch.zeros(1, dtype=torch.float64), ordered.cumsum(0)])[::224]
    torch.testing.assert_close(res.deletion.scores[0].double(), pixel_sums.sum() - removed, rtol=0, atol=2e-2)


def test_explicit_step_that_does_not_divide_the_image():
    image = torch.ones(1, 1, 2, 5)
    res = insertion_deletion(
        SumModel(),
        image,
        torch.rand(1, 2, 5),
        TARGET,
        step=4,
        deletion_substrate="zeros",
        score="logit",
        modes=("deletion",),
    )
    assert res.deletion.pixels_changed.tolist() == [0, 4, 8, 10]
    torch.testing.assert_close(res.deletion.scores, torch.tensor([[10.0, 6.0, 2.0, 0.0]]))


def test_results_do_not_depend_on_batch_size():
    torch.manual_seed(0)
    images, maps = torch.rand(3, 3, 8, 8), torch.rand(3, 8, 8)
    targets = torch.tensor([0, 1, 0])
    model = SigmoidPairModel(gain=3.0, mean=(0.4, 0.5, 0.6))
    small = insertion_deletion(model, images, maps, targets, step=3, batch_size=1)
    large = insertion_deletion(model, images, maps, targets, step=3, batch_size=1000)
    for mode in ("deletion", "insertion"):
        assert torch.equal(getattr(small, mode).scores, getattr(large, mode).scores)
        assert torch.equal(getattr(small, mode).auc, getattr(large, mode).auc)
    # Each image's curve is that image's curve alone.
    alone = insertion_deletion(model, images[1:2], maps[1:2], targets[1:2], step=3)
    assert torch.equal(alone.insertion.scores[0], large.insertion.scores[1])


def test_insertion_starts_from_the_reference_blurred_image():
    torch.manual_seed(0)
    image = torch.rand(1, 3, 16, 16)
    model = SigmoidPairModel(gain=1.0, mean=(0.4, 0.5, 0.6))
    res = insertion_deletion(model, image, torch.rand(1, 16, 16), TARGET, step=64, score="logit", modes=("insertion",))
    start = rise_blur(image, torch.tensor([0.4, 0.5, 0.6]))
    assert res.insertion.scores[0, 0].item() == pytest.approx(start.mean().item(), rel=1e-5)
    assert res.insertion.scores[0, -1].item() == pytest.approx(image.mean().item(), rel=1e-5)


def _reference_kernel_2d(kernel_size=11, sigma=5.0):
    # What the RISE authors' evaluation code builds: scipy's gaussian_filter of a centred impulse.
    impulse = np.zeros((kernel_size, kernel_size))
    impulse[kernel_size // 2, kernel_size // 2] = 1.0
    return ndimage.gaussian_filter(impulse, sigma)


@pytest.mark.parametrize("kernel_size, sigma", [(11, 5.0), (11, 1.5), (7, 3.0), (1, 2.0)])
def test_rise_blur_kernel_equals_scipy_filtered_impulse(kernel_size, sigma):
    k = rise_blur_kernel(kernel_size, sigma).numpy()
    np.testing.assert_allclose(np.outer(k, k), _reference_kernel_2d(kernel_size, sigma), rtol=0, atol=1e-15)
    assert k.sum() == pytest.approx(1.0, abs=1e-12)


def test_rise_blur_kernel_by_hand_at_the_protocol_setting():
    # Taps w_j = exp(-j^2 / 50) / Z for |j| <= 20, folded into 11 cells by half-sample reflection
    # (period 22). The centre cell gets j = 0 and j = +-11 (the mirror images of cell 5); the
    # border cell 0 gets j = 5, -6, 16, -17.
    z = sum(math.exp(-(j**2) / 50) for j in range(-20, 21))
    k = rise_blur_kernel(11, 5.0).numpy()
    assert k[5] == pytest.approx((1 + 2 * math.exp(-121 / 50)) / z, rel=1e-12)
    assert k[0] == pytest.approx(sum(math.exp(-(j**2) / 50) for j in (5, 6, 16, 17)) / z, rel=1e-12)
    # Nearly uniform: border / centre 0.936, against 0.607 for the sampled 11-tap Gaussian.
    assert k[0] / k[5] == pytest.approx(0.9359, abs=1e-4)
    assert (round(k[0], 4), round(k[5], 4)) == (0.0880, 0.0940)  # the values the docstring and methods page print


def test_rise_blur_equals_reference_convolution_in_normalised_space():
    # Independent computation: normalise as the model does, zero-pad and convolve each channel with
    # the scipy kernel (scipy.signal, a different convolution routine), map back to pixels.
    rng = np.random.default_rng(0)
    image = rng.random((2, 3, 20, 17))
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    kernel = _reference_kernel_2d()
    expected = np.empty_like(image)
    for b in range(2):
        for c in range(3):
            normalised = (image[b, c] - mean[c]) / std[c]
            blurred = signal.convolve2d(normalised, kernel, mode="same", boundary="fill", fillvalue=0.0)
            expected[b, c] = blurred * std[c] + mean[c]
    out = rise_blur(torch.from_numpy(image), torch.from_numpy(mean))
    np.testing.assert_allclose(out.numpy(), expected, rtol=0, atol=1e-12)
    out32 = rise_blur(torch.from_numpy(image).float(), torch.from_numpy(mean).float())
    np.testing.assert_allclose(out32.numpy(), expected, rtol=0, atol=1e-5)
    # Far from the border the kernel is what matters, and a sampled Gaussian is clearly different.
    gaussian = blur(torch.from_numpy(image), 11, 5.0).numpy()
    assert np.abs(gaussian - expected)[..., 5:-5, 5:-5].max() > 0.01


def test_substrate_names_and_the_gaussian_option():
    torch.manual_seed(0)
    images = torch.rand(2, 3, 16, 16)
    model = SigmoidPairModel(gain=1.0, mean=(0.4, 0.5, 0.6))
    torch.testing.assert_close(
        resolve_substrate("rise-blur", model, images), rise_blur(images, torch.tensor([0.4, 0.5, 0.6]))
    )
    torch.testing.assert_close(resolve_substrate("gaussian-reflect", model, images), blur(images, 11, 5.0))
    with pytest.raises(ValueError, match="ambiguous.*rise-blur.*gaussian-reflect"):
        resolve_substrate("blur", model, images)


def test_substrate_options():
    images = torch.rand(2, 3, 12, 12)
    colour = torch.tensor([0.1, 0.2, 0.3])
    assert torch.equal(resolve_substrate(colour, None, images)[1, :, 4, 4], colour)
    assert torch.equal(resolve_substrate(0.25, None, images), torch.full_like(images, 0.25))
    assert torch.equal(resolve_substrate(lambda x: 1 - x, None, images), 1 - images)
    assert torch.equal(resolve_substrate("zeros", None, images), torch.zeros_like(images))
    with pytest.raises(ValueError, match="unknown substrate"):
        resolve_substrate("grey", None, images)
    with pytest.raises(ValueError, match="broadcast"):
        resolve_substrate(torch.zeros(2, 3, 5, 5), None, images)


# ----------------------------------------------------------------------------- %Drop / %Increase


def test_average_drop_and_increase_on_known_outputs():
    # Grey 0.5 images; p(class 0) = sigmoid(4 * mean). Map 0.5 halves the mean: Y = s(2), O = s(1).
    model = SigmoidPairModel(gain=4.0)
    images = torch.full((3, 3, 4, 4), 0.5)
    maps = torch.stack([torch.full((4, 4), 0.5), torch.full((4, 4), 0.5), torch.ones(4, 4)])
    targets = torch.tensor([0, 1, 0])
    res = average_drop_increase(model, images, maps, targets, batch_size=2)
    y0, o0 = _sigmoid(2), _sigmoid(1)
    expected_drop = [(y0 - o0) / y0 * 100, 0.0, 0.0]  # class 1: 1 - s(2) rises to 1 - s(1)
    assert res.drop_pct.tolist() == pytest.approx(expected_drop, rel=1e-5)
    assert res.increase.tolist() == [False, True, False]  # unchanged score is not an increase
    assert res.score_original.tolist() == pytest.approx([y0, 1 - y0, y0], rel=1e-6)
    assert res.score_masked.tolist() == pytest.approx([o0, 1 - o0, y0], rel=1e-6)
    assert res.average_drop_pct == pytest.approx(sum(expected_drop) / 3, rel=1e-5)
    assert res.increase_pct == pytest.approx(100 / 3)


# ----------------------------------------------------------------------------- bad input


def test_bad_inputs_raise_value_errors():
    model = SumModel()
    with pytest.raises(ValueError, match="attributions shape"):
        insertion_deletion(model, IMAGE, V, TARGET)
    with pytest.raises(ValueError, match="attributions shape"):
        average_drop_increase(model, IMAGE, torch.rand(1, 3, 3), TARGET)
    nan_map = V[None].clone()
    nan_map[0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        insertion_deletion(model, IMAGE, nan_map, TARGET)
    with pytest.raises(ValueError, match="NaN"):
        average_drop_increase(model, IMAGE, nan_map, TARGET)
    with pytest.raises(ValueError, match="targets"):
        insertion_deletion(model, IMAGE, V[None], torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="score"):
        insertion_deletion(model, IMAGE, V[None], TARGET, score="prob")
    with pytest.raises(ValueError, match="modes"):
        insertion_deletion(model, IMAGE, V[None], TARGET, modes=("delete",))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        average_drop_increase(model, IMAGE, V[None] * 3, TARGET)
    with pytest.raises(ValueError, match="step"):
        insertion_deletion(model, IMAGE, V[None], TARGET, step=0)

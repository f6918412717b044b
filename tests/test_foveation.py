import math

import pytest
import torch

from fovex.foveation import (
    blur,
    blur_mask,
    fovea_sigma_px,
    foveate,
    gaussian_fovea,
    normalized_to_pixels,
    pixels_to_normalized,
)


def test_fovea_values_at_known_points():
    # 5x5 grid: rows/cols at -1, -0.5, 0, 0.5, 1. Fixation at (0, 0.5).
    fovea = gaussian_fovea(torch.tensor([[0.0, 0.5]]), 5, 5, fovea_s=0.15)[0]
    assert fovea[2, 3] == pytest.approx(1.0)
    # (row -0.5, col 0.5): d^2 = 0.25 -> exp(-0.25 / 0.15)
    assert fovea[1, 3] == pytest.approx(math.exp(-0.25 / 0.15), rel=1e-6)
    # (row 1, col -1): d^2 = 1 + 2.25 -> exp(-3.25 / 0.15)
    assert fovea[4, 0] == pytest.approx(math.exp(-3.25 / 0.15), rel=1e-5)


def test_fovea_is_exp_of_d2_over_s_not_two_sigma_squared():
    fovea = gaussian_fovea(torch.tensor([[0.0, 0.0]]), 3, 3, fovea_s=0.5, amplitude=2.0)[0]
    # grid -1, 0, 1: corner d^2 = 2 -> 2 * exp(-2 / 0.5)
    assert fovea[0, 0] == pytest.approx(2.0 * math.exp(-4.0), rel=1e-6)


def test_fovea_non_square_and_batched():
    fixations = torch.tensor([[-1.0, -1.0], [1.0, 1.0]])
    fovea = gaussian_fovea(fixations, 4, 7)
    assert fovea.shape == (2, 4, 7)
    assert fovea[0, 0, 0] == 1.0 and fovea[1, 3, 6] == 1.0
    assert fovea[0].argmax() == 0 and fovea[1].argmax() == 4 * 7 - 1


def test_fovea_sigma_in_pixels():
    # s = 0.15 -> sigma = sqrt(0.075) normalised = sqrt(0.075) * 223 / 2 px at 224 px.
    assert fovea_sigma_px(0.15, 224) == pytest.approx(math.sqrt(0.075) * 111.5)
    assert 30 < fovea_sigma_px(0.15, 224) < 31
    # The profile along a row must be a Gaussian with that sigma in pixels.
    fovea = gaussian_fovea(torch.tensor([[0.0, -1.0]], dtype=torch.float64), 224, 224)[0]
    sigma = fovea_sigma_px(0.15, 224)
    row_centre = 111.5
    col = 40
    expected = math.exp(-(col**2) / (2 * sigma**2)) * math.exp(-(0.5**2) / (2 * sigma**2))
    assert float(fovea[111, col]) == pytest.approx(expected, rel=1e-9)
    assert row_centre == 111.5


def test_blur_kernel_sums_to_one_and_preserves_constants():
    image = torch.full((1, 3, 64, 64), 0.37)
    assert torch.allclose(blur(image, 41, 10.0), image, atol=1e-6)
    impulse = torch.zeros(1, 1, 101, 101)
    impulse[0, 0, 50, 50] = 1.0
    response = blur(impulse, 41, 10.0)
    assert float(response.sum()) == pytest.approx(1.0, abs=1e-5)
    # Separable Gaussian with sigma 10 truncated at +-20: centre = 1 / (sum_k exp(-k^2/200))^2
    norm = sum(math.exp(-(k**2) / 200.0) for k in range(-20, 21))
    assert float(response[0, 0, 50, 50]) == pytest.approx(1.0 / norm**2, rel=1e-4)
    assert float(response[0, 0, 50, 60]) == pytest.approx(math.exp(-100 / 200.0) / norm**2, rel=1e-4)


def test_blur_rejects_bad_kernels():
    image = torch.rand(1, 3, 32, 32)
    with pytest.raises(ValueError, match="odd"):
        blur(image, 40, 10)
    with pytest.raises(ValueError, match="larger"):
        blur(image, 81, 10)


def test_mask_clipping():
    memory = torch.tensor([[[0.0, 0.5, 0.9, 2.0]]])
    fovea = torch.tensor([[[0.0, 0.25, 0.3, 0.0]]])
    mask = blur_mask(memory, fovea)
    assert torch.allclose(mask, torch.tensor([[[1.0, 0.25, 0.0, 0.0]]]))


def test_fully_foveated_pixel_is_original_and_unfoveated_is_blurred():
    images = torch.rand(2, 3, 8, 8)
    blurred = torch.rand(2, 3, 8, 8)
    mask = torch.zeros(2, 8, 8)
    mask[:, :4] = 1.0
    mask[:, 4:6] = 0.25
    out = foveate(images, blurred, mask)
    assert torch.equal(out[:, :, 6:], images[:, :, 6:])
    assert torch.allclose(out[:, :, :4], blurred[:, :, :4])
    assert torch.allclose(out[:, :, 4:6], 0.25 * blurred[:, :, 4:6] + 0.75 * images[:, :, 4:6])


def test_fovea_gradient_flows_to_fixation():
    position = torch.tensor([[0.1, -0.2]], requires_grad=True)
    fovea = gaussian_fovea(position, 16, 16)
    fovea[0, 0, 0].backward()
    # d/dp_row exp(-((r - p_r)^2 + (c - p_c)^2) / s) = G * 2 (r - p_r) / s at r = c = -1
    g = float(fovea[0, 0, 0].detach())
    assert float(position.grad[0, 0]) == pytest.approx(g * 2 * (-1 - 0.1) / 0.15, rel=1e-5)
    assert float(position.grad[0, 1]) == pytest.approx(g * 2 * (-1 + 0.2) / 0.15, rel=1e-5)


def test_pixel_conversion_round_trip():
    corners = torch.tensor([[-1.0, -1.0], [1.0, 1.0], [0.0, 0.0]])
    pixels = normalized_to_pixels(corners, 224, 300)
    assert torch.allclose(pixels, torch.tensor([[0.0, 0.0], [299.0, 223.0], [149.5, 111.5]]))
    assert torch.allclose(pixels_to_normalized(pixels, 224, 300), corners)

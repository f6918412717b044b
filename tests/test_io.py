import numpy as np
import pytest
import torch
from PIL import Image

from fovex import ImageLoadError, load_image


def _save(tmp_path, name, image, **kwargs):
    path = tmp_path / name
    image.save(path, **kwargs)
    return path


def test_rgb_png_exact_values(tmp_path):
    array = np.zeros((8, 8, 3), dtype=np.uint8)
    array[..., 0] = 255
    array[2, 3] = (10, 20, 30)
    tensor = load_image(_save(tmp_path, "a.png", Image.fromarray(array)), size=None)
    assert tensor.shape == (3, 8, 8) and tensor.dtype == torch.float32
    assert tensor[:, 2, 3].tolist() == pytest.approx([10 / 255, 20 / 255, 30 / 255])
    assert tensor[0, 0, 0] == 1.0


def test_grayscale_becomes_three_equal_channels(tmp_path):
    gray = Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8) * 4, mode="L")
    tensor = load_image(_save(tmp_path, "g.png", gray), size=None)
    assert tensor.shape == (3, 8, 8)
    assert torch.equal(tensor[0], tensor[1]) and torch.equal(tensor[1], tensor[2])
    assert tensor[0, 7, 7] == pytest.approx(252 / 255)


def test_rgba_is_composited_on_white(tmp_path):
    array = np.zeros((4, 4, 4), dtype=np.uint8)
    array[..., 3] = 0  # fully transparent black
    array[0, 0] = (0, 0, 0, 255)
    tensor = load_image(_save(tmp_path, "t.png", Image.fromarray(array, mode="RGBA")), size=None)
    assert tensor[:, 1, 1].tolist() == [1.0, 1.0, 1.0]
    assert tensor[:, 0, 0].tolist() == [0.0, 0.0, 0.0]


def test_palette_image(tmp_path):
    palette_image = Image.new("P", (4, 4))
    palette_image.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    palette_image.putpixel((1, 1), 1)
    tensor = load_image(_save(tmp_path, "p.png", palette_image), size=None)
    assert tensor[:, 0, 0].tolist() == [1.0, 0.0, 0.0]
    assert tensor[:, 1, 1].tolist() == [0.0, 0.0, 1.0]


def test_cmyk_jpeg(tmp_path):
    cmyk = Image.new("CMYK", (16, 16), (0, 255, 255, 0))  # pure red in CMYK
    tensor = load_image(_save(tmp_path, "c.jpg", cmyk, quality=100), size=None)
    assert tensor[0].mean() > 0.9 and tensor[1].mean() < 0.1 and tensor[2].mean() < 0.1


def test_16_bit_grayscale(tmp_path):
    array = np.full((6, 6), 65535, dtype=np.uint16)
    array[0, 0] = 32768
    tensor = load_image(_save(tmp_path, "d.png", Image.fromarray(array)), size=None)
    assert tensor[0, 1, 1] == pytest.approx(1.0)
    assert tensor[0, 0, 0] == pytest.approx(32768 / 65535, abs=1e-6)


def test_exif_orientation_is_applied(tmp_path):
    array = np.zeros((10, 20, 3), dtype=np.uint8)  # 20 wide, 10 high
    array[0, 0] = 255  # top-left white
    image = Image.fromarray(array)
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    path = tmp_path / "e.jpg"
    image.save(path, exif=exif, quality=100)
    tensor = load_image(path, size=None)
    assert tensor.shape == (3, 20, 10)  # displayed upright: 10 wide, 20 high
    # After a clockwise rotation the stored top-left pixel shows at the top-right.
    assert tensor[:, 0, -1].mean() > 0.7 and tensor[:, 0, 0].mean() < 0.3


def test_resize_and_centre_crop_policy(tmp_path):
    array = np.zeros((100, 200, 3), dtype=np.uint8)
    array[:, :50] = 255  # left quarter white: cropped away by the centre square
    array[:, 50:150, 1] = 255  # centre half green
    tensor = load_image(_save(tmp_path, "w.png", Image.fromarray(array)), size=50)
    assert tensor.shape == (3, 50, 50)
    assert tensor[1].mean() > 0.99 and tensor[0].mean() < 0.01
    cropped = load_image(tmp_path / "w.png", size=50, crop_fraction=0.5)
    assert cropped.shape == (3, 50, 50)


def test_corrupt_and_missing_files_name_the_file(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    with pytest.raises(ImageLoadError, match="notes.txt"):
        load_image(text)
    good = _save(tmp_path, "ok.jpg", Image.new("RGB", (64, 64), (1, 2, 3)))
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(good.read_bytes()[:200])
    with pytest.raises(ImageLoadError, match="truncated.jpg"):
        load_image(truncated)
    with pytest.raises(ImageLoadError, match="absent.png"):
        load_image(tmp_path / "absent.png")


def test_float_images_outside_0_1_are_refused_with_the_tensor_hint(tmp_path):
    """Issue 27, B4: a float32 TIFF holding 0..255 was clipped to white; it is refused like a tensor."""
    ramp = np.linspace(0, 255, 64 * 64, dtype=np.float32).reshape(64, 64)
    path = _save(tmp_path, "float255.tif", Image.fromarray(ramp, mode="F"))
    with pytest.raises(ImageLoadError, match=r"float255.tif.*\[0, 1\].*0\.\.255 pixels\? divide by 255"):
        load_image(path, size=None)
    path = _save(tmp_path, "unit.tif", Image.fromarray(ramp / 255, mode="F"))
    tensor = load_image(path, size=None)  # a float image in [0, 1] keeps its values
    assert torch.allclose(tensor[1], torch.from_numpy(ramp / 255), atol=1e-6)
    nan = ramp / 255
    nan[3, 3] = np.nan
    with pytest.raises(ImageLoadError, match="NaN"):
        load_image(_save(tmp_path, "nan.tif", Image.fromarray(nan, mode="F")), size=None)

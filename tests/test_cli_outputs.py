"""Where the CLI writes: `fovex explain` names a second model's outputs by model (issue 35), and
`fovex evaluate CONFIG` writes to the config's output_dir when --out is not given."""

from __future__ import annotations

import numpy as np
import yaml

from fovex.cli import main
from fovex.data.samples import foolbox_imagenet_files

QUICK = ["--fixations", "1", "--steps", "1", "--size", "64", "--quiet"]


def _model_of(path) -> str:
    with np.load(path) as arrays:
        return str(arrays["model"])


def test_explain_names_another_models_outputs_by_model(tmp_path, capsys):
    (image, _), *_ = foolbox_imagenet_files()
    out = tmp_path / "out"
    common = [str(image), "--out", str(out), *QUICK]
    resnet = ["--model", "resnet50", "--weights", "none"]
    assert main(["explain", *common]) == 0  # efficientnet_lite0, the default model
    first = (out / f"{image.stem}.png").read_bytes()
    assert main(["explain", *common, *resnet]) == 0
    assert f"written as {image.stem}-resnet50.png" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{image.stem}{suffix}.{ext}" for suffix in ("", "-resnet50") for ext in ("npz", "png")
    )
    assert _model_of(out / f"{image.stem}.npz") == "efficientnet_lite0"
    assert _model_of(out / f"{image.stem}-resnet50.npz") == "resnet50"
    # The same model again: numbered after its own name; --overwrite replaces its own outputs only.
    assert main(["explain", *common, *resnet]) == 0
    assert (out / f"{image.stem}-resnet50-2.npz").is_file()
    assert main(["explain", *common, *resnet, "--overwrite"]) == 0
    assert not (out / f"{image.stem}-resnet50-3.npz").exists()
    assert (out / f"{image.stem}.png").read_bytes() == first and _model_of(out / f"{image.stem}.npz") == (
        "efficientnet_lite0"
    )
    # The first model again: its own name, numbered as before (issue 15's rule).
    assert main(["explain", *common]) == 0
    assert _model_of(out / f"{image.stem}-2.npz") == "efficientnet_lite0"


def test_evaluate_writes_to_the_configs_output_dir_without_out(tmp_path, capsys, monkeypatch):
    from test_evaluation import TINY

    monkeypatch.chdir(tmp_path)  # a relative output_dir is relative to where the command runs
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump({**TINY, "output_dir": "results/tiny"}))
    assert main(["evaluate", str(config), "--quiet"]) == 0
    assert (tmp_path / "results" / "tiny" / "manifest.json").is_file()
    assert (tmp_path / "results" / "tiny" / "summary.csv").is_file()
    # Without output_dir and without --out: one line, exit status 2, nothing written.
    bare = tmp_path / "bare.yaml"
    bare.write_text(yaml.safe_dump(TINY))
    capsys.readouterr()
    assert main(["evaluate", str(bare), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no output directory" in err and "--out" in err

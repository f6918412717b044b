"""Evaluation configs (fovex.evaluation.config): validation with clear errors, defaults, hashing, shipped configs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fovex.evaluation import ConfigError, load_config
from fovex.evaluation.scoring import DEFAULT_METRICS, FixationPool

REPO = Path(__file__).resolve().parents[1]


def _config(**changes):
    config = {
        "config_version": 1,
        "models": ["efficientnet_lite0"],
        "explainers": [{"name": "fovex", "settings": {"fixations": 1, "steps": 2}}, "centre"],
        "dataset": {"name": "samples", "split": "imagenet", "num_images": 2},
    }
    config.update(changes)
    return config


def test_defaults_are_filled_in():
    config = load_config(_config())
    assert config["batch_size"] == 8 and config["device"] == "auto" and config["seed"] == 42
    assert config["metrics"] == list(DEFAULT_METRICS["classification"])
    assert config["metric_settings"]["faithfulness"]["step"] is None  # the RISE protocol
    assert config["models"] == [{"name": "efficientnet_lite0", "label": "efficientnet_lite0", "weights": "default"}]
    assert config["explainers"][1] == {
        "name": "centre",
        "label": "centre",
        "settings": {},
        "models": ["efficientnet_lite0"],
    }
    assert config.kind == "classification"


def test_config_seed_seeds_explainers_unless_set():
    config = load_config(_config(seed=7, explainers=["fovex", {"name": "random", "settings": {"seed": 3}}, "centre"]))
    seeds = [e["settings"].get("seed") for e in config["explainers"]]
    assert seeds == [7, 3, None]  # centre has no randomness, so no seed


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"batchsize": 4}, r"unknown key\(s\) 'batchsize' \(did you mean 'batch_size'\?\); valid keys: .*batch_size"),
        ({"explainers": ["fovx"]}, r"unknown explainer 'fovx' \(did you mean 'fovex'\?\); valid: .*centre.*fovex"),
        (
            {"explainers": [{"name": "fovex", "settings": {"fixation": 3}}]},
            r"fovex\) settings: unknown key\(s\) 'fixation'",
        ),
        ({"explainers": [{"name": "fovex", "setting": {}}]}, r"explainers\[0\]: unknown key\(s\) 'setting'"),
        ({"models": ["resnet5"]}, r"unknown model 'resnet5'.*valid: .*resnet50"),
        ({"dataset": {"name": "imagenet"}}, r"unknown data set 'imagenet'.*valid: .*imagenet-val"),
        ({"dataset": {"name": "samples", "num_image": 3}}, r"dataset: unknown key\(s\) 'num_image'"),
        (
            {"metrics": ["nss"]},
            r"metric 'nss' does not apply to samples \(a classification set\); valid there: drop_increase",
        ),
        ({"metrics": ["auc"]}, r"unknown metric 'auc'.*valid: .*auc_judd"),
        ({"metric_settings": {"faithfulness": {"steps": 3}}}, r"faithfulness: unknown key\(s\) 'steps'"),
        ({"config_version": 2}, r"config_version 2 is not supported; this fovex reads config_version 1"),
        ({"config_version": None}, r"'config_version' is required"),
        ({"batch_size": 0}, r"batch_size: must be >= 1"),
        ({"device": "gpu"}, r"device must be auto, cpu, cuda"),
        ({"deterministic": "yes"}, r"deterministic must be true or false, got 'yes'"),
        ({"target": "label", "dataset": "osie"}, r"target 'label' needs a labelled classification set"),
        ({"explainers": ["centre", "centre"]}, r"duplicate label\(s\) \['centre'\]"),
        ({"explainers": [{"name": "centre", "models": ["resnet50"]}]}, r"unknown model label 'resnet50'"),
    ],
)
def test_invalid_configs_name_the_problem_and_the_choices(changes, message):
    with pytest.raises(ConfigError, match=message):
        load_config(_config(**changes))


def test_missing_required_sections():
    for key in ("models", "explainers", "dataset"):
        config = _config()
        del config[key]
        with pytest.raises(ConfigError, match=key):
            load_config(config)


def test_yaml_errors_name_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("models: [unclosed\n")
    with pytest.raises(ConfigError, match="bad.yaml: not valid YAML"):
        load_config(path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.yaml")


def test_hash_ignores_only_result_neutral_keys():
    base = load_config(_config())
    assert load_config(_config(device="cpu", threads=1, output_dir="x", name="y")).hash == base.hash
    # Bit-stable kernels are how a run computes, like its device: resuming with it changed is allowed,
    # and the committed study's hashes (configs without the key) stay what they were.
    assert base["deterministic"] is False and load_config(_config(deterministic=True))["deterministic"] is True
    assert load_config(_config(deterministic=True)).hash == base.hash
    assert load_config(_config(batch_size=3)).hash != base.hash
    assert load_config(_config(seed=1)).hash != base.hash


def test_metrics_per_kind_and_explainer_models():
    voc = load_config(_config(dataset="voc-sample", metrics=["pointing_game", "ebpg", "deletion"]))
    assert voc.kind == "localisation"
    fix = load_config(_config(dataset="osie"))
    assert fix["metrics"][:6] == ["nss", "cc", "kld", "sim", "auc_judd", "sauc"]
    restricted = load_config(
        _config(
            models=["efficientnet_lite0", {"name": "efficientnet_lite0", "label": "lite0-random", "weights": "none"}],
            explainers=[{"name": "centre", "models": ["lite0-random"]}],
        )
    )
    assert restricted["explainers"][0]["models"] == ["lite0-random"]
    assert restricted["models"][1]["weights"] is None


@pytest.mark.parametrize("path", sorted((REPO / "configs").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_configs_validate(path):
    config = load_config(path)
    assert config["config_version"] == 1 and config["output_dir"]


def test_fixation_pool_negatives_are_other_images():
    points = {
        0: np.array([[1.0, 1.0]]),
        1: np.array([[2.0, 2.0], [3.0, 3.0]]),
        2: np.zeros((0, 2)),
        3: np.array([[4.0, 4.0]]),
    }
    pool = FixationPool([0, 1, 2, 3], points, None)
    assert pool.negatives(1).tolist() == [[1.0, 1.0], [4.0, 4.0]]
    nearest = FixationPool([0, 1, 2, 3], points, other_images=2)
    assert nearest.negatives(3).tolist() == [[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]  # wraps around: images 0 and 1


def test_fovex_presets_are_spelled_out_in_the_resolved_config():
    from fovex.evaluation.config import ConfigError, load_config

    base = {"config_version": 1, "models": ["efficientnet_lite0"], "dataset": {"name": "samples"}}
    config = load_config({**base, "explainers": [{"name": "fovex", "settings": {"preset": "fast"}}]})
    settings = config["explainers"][0]["settings"]
    assert settings["fixations"] == 6 and settings["steps"] == 8 and settings["preset"] == "fast"
    explicit = load_config({**base, "explainers": [{"name": "fovex", "settings": {"preset": "fast", "steps": 3}}]})
    assert explicit["explainers"][0]["settings"]["steps"] == 3
    with pytest.raises(ConfigError, match="preset"):
        load_config({**base, "explainers": [{"name": "fovex", "settings": {"preset": "turbo"}}]})


def test_spread_order_is_a_permutation_whose_prefixes_cover_the_files():
    from fovex.evaluation import spread_order

    order = spread_order(1000)
    assert sorted(order) == list(range(1000))
    assert order[:5] == [0, 619, 238, 857, 476]  # stride 619: nearest 1000 / golden ratio, coprime with 1000
    # Any prefix of n photos has about n / 10 in every tenth of the wnid-sorted files (the first files
    # are all animals, so a plain prefix would not be a fair sample; it would fill one decile first).
    for n in (50, 100, 200, 613):
        per_decile = np.bincount(np.array(order[:n]) // 100, minlength=10)
        assert np.abs(per_decile - n / 10).max() <= max(2, 0.03 * n), (n, per_decile)
    for length in (1, 2, 7, 700, 500):
        assert sorted(spread_order(length)) == list(range(length))


def test_dataset_order_is_validated_and_selects(tmp_path):
    with pytest.raises(ConfigError, match="order must be one of files, spread"):
        load_config(_config(dataset={"name": "samples", "order": "random"}))
    assert load_config(_config())["dataset"]["order"] == "files"

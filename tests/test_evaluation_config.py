"""Evaluation configs (fovex.evaluation.config): validation with clear errors, defaults, hashing, shipped configs."""

from __future__ import annotations

import re
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


#: The hash of every shipped evaluation config, as computed before the engine read typed settings
#: (issue 29): committed results are keyed by these, so a change to how a config is parsed, stored or
#: read must leave every one of them as it is.
SHIPPED_CONFIG_HASHES = {
    "configs/fast-candidates.yaml": "79917902a22e910e25cdda8de2646618cf4d12961b54f12144e1129193bc7607",
    "configs/fast-vs-published.yaml": "24b619e89274b9e6dc3daa4b0fe349e730dc33cfa20bfa8fe60098d1a14e1faa",
    "configs/imagenet-sample-faithfulness.yaml": "b53b491728debb735f99db82ebd49e620b710b1cef9a0ef9872420455575fef2",
    "configs/osie-plausibility.yaml": "b486ca75faeaf9332a6f08b4f2a4c3fe721152991c1c60a7bc94018cec84e591",
    "configs/paper-imagenet.yaml": "e8273dbd54b549200a30bcbaf36a9ea7f1a8d335b8b5e1a41f9708794d69034c",
    "configs/paper-mit1003.yaml": "e7631023ecbaa0c197fee5d806d70b28104693d7d7a6cefd8c9c3192061d749e",
    "configs/paper-voc2012.yaml": "7baabaea6725fe13de82baf3574e5e9d755e856b6d16778366cd717f360edc21",
    "configs/published-seed-reference.yaml": "22b893b666bb7120e69bcba8e1e3e5931d5454f17cb33a5821e7105e705c6679",
    "configs/smoke.yaml": "a9c40b323d1ae875f3280b7c734aa1474561b89a0d705bafa52a495f65b5ec37",
    "configs/study/faithfulness-rise-seeds.yaml": "f1015d0f8b874f36699b921796f5e0c8902bc236311867f672e17afe37e92982",
    "configs/study/faithfulness-rise.yaml": "5e850e84cc6b65f190f4388e7fd53b46b372e7ad02b61daab03425fdda6c622d",
    "configs/study/faithfulness-seeds.yaml": "f0d2be451c16a52b2d2f8cc23212f895045fafe9ae60aa6728af65d33339767b",
    "configs/study/faithfulness.yaml": "2cf94c83e77e63ddb6482373847a11ff96a0f2fd7b3c21480238d39ec8d627f8",
    "configs/study/fast-vs-published.yaml": "f5dbdeb4cc990e29dea182d9b45fe31024902f212926580e691b186904394dc5",
    "configs/study/localisation.yaml": "2ff1da988dd8af0514b2743ce2146f30683bea7f8ddc86dd01c4c5e4368b8304",
    "configs/study/plausibility-nus-scene500.yaml": "9a874e6703306081185df2f48f0c45d58d2b9912e8bb879526971058810ece66",
    "configs/study/plausibility-osie.yaml": "0fe0b3438db5362fc7e0695eb7d48127812da53d88e4160254d6d3cfb9595d03",
    "configs/study/receptive-field-tied.yaml": "0c657d81e6b9505a59ff9d55648654bb6f3849330f47107c44eeb5c174752b01",
    "configs/study/receptive-field.yaml": "5c4ab0ed6217b0cc27cd941ccbd45f149074694e1a9b256a94a0c5e6f2e96fab",
    "configs/voc-sample-localisation.yaml": "561ed1ef4f1f57f710a7a517e228bc1fed810c5c508e0c38d27560b54ca3bec1",
}


def _evaluation_configs() -> list[str]:
    """Every YAML under configs/ that is an evaluation config (configs/book/ holds book build configs)."""
    import yaml

    paths = sorted((REPO / "configs").rglob("*.yaml"))
    return [p.relative_to(REPO).as_posix() for p in paths if "config_version" in (yaml.safe_load(p.read_text()) or {})]


def test_every_shipped_config_hash_is_pinned():
    assert _evaluation_configs() == sorted(SHIPPED_CONFIG_HASHES)


@pytest.mark.parametrize("path", sorted(SHIPPED_CONFIG_HASHES))
def test_shipped_config_hash_is_unchanged(path):
    assert load_config(REPO / path).hash == SHIPPED_CONFIG_HASHES[path]


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


# ----------------------------------------------------------------------------- typed settings (issue 29, item 2)


def test_typed_settings_mirror_the_resolved_mapping():
    from fovex.evaluation.config import DatasetEntry, ExplainerEntry, ModelEntry
    from fovex.evaluation.scoring import FaithfulnessSettings, MetricSettings

    config = load_config(
        _config(
            models=["efficientnet_lite0", {"name": "efficientnet_lite0", "label": "lite0-random", "weights": "none"}],
            explainers=[
                {"name": "fovex", "settings": {"fixations": 1, "steps": 2}},
                {"name": "centre", "models": "lite0-random"},
            ],
            dataset={"name": "samples", "split": "imagenet", "num_images": 2, "crop_fraction": 1, "options": {}},
            metric_settings={"faithfulness": {"step": 2048}},
            batch_size=3,
            threads=2,
        )
    )
    assert config.models == (
        ModelEntry("efficientnet_lite0", "efficientnet_lite0", "default"),
        ModelEntry("efficientnet_lite0", "lite0-random", None),
    )
    fovex_entry, centre = config.explainers
    assert isinstance(fovex_entry, ExplainerEntry) and fovex_entry.name == "fovex" and fovex_entry.label == "fovex"
    assert dict(fovex_entry.settings) == config["explainers"][0]["settings"] and fovex_entry.settings["seed"] == 42
    assert fovex_entry.models == ("efficientnet_lite0", "lite0-random")
    assert centre.models == ("lite0-random",) and centre.explains("lite0-random")
    assert not centre.explains("efficientnet_lite0")
    assert config.dataset == DatasetEntry("samples", None, "imagenet", None, 1.0, 2, 0, "files", {})
    assert isinstance(config.dataset.crop_fraction, float) and config.dataset.kind == config.kind == "classification"
    assert config.metrics == tuple(DEFAULT_METRICS["classification"])
    assert isinstance(config.metric_settings, MetricSettings)
    assert config.metric_settings.faithfulness == FaithfulnessSettings(step=2048)
    assert config.metric_settings.plausibility.sauc_other_images is None
    assert (config.batch_size, config.threads, config.seed, config.device) == (3, 2, 42, "auto")
    assert (config.target, config.save_maps, config.deterministic, config.output_dir) == (
        "predicted",
        True,
        False,
        None,
    )
    # Every top-level key of the resolved mapping has its attribute (config_version aside: always 1).
    assert set(config.data) - {"config_version"} <= {name for name in vars(config) if name not in ("data", "source")}


def test_typed_settings_are_read_only_and_detached_from_the_mapping():
    import dataclasses

    config = load_config(_config(dataset={"name": "samples", "split": "imagenet", "options": {"x": [1]}}))
    for target, name in [
        (config, "batch_size"),
        (config, "models"),
        (config.models[0], "label"),
        (config.explainers[0], "settings"),
        (config.dataset, "num_images"),
        (config.metric_settings, "faithfulness"),
        (config.metric_settings.faithfulness, "batch_size"),
    ]:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(target, name, None)
    with pytest.raises(TypeError):
        config.explainers[0].settings["steps"] = 9  # a read-only mapping
    with pytest.raises(TypeError):
        config.dataset.options["x"] = 2
    before = config.hash
    config.to_dict()["explainers"][0]["settings"]["steps"] = 9
    assert config["explainers"][0]["settings"]["steps"] == 2 and config.hash == before
    assert config.explainers[0].settings["steps"] == 2 and config.dataset.options["x"] == [1]


def test_metric_settings_defaults_are_the_typed_defaults():
    import dataclasses

    from fovex.evaluation.scoring import METRIC_SETTINGS_DEFAULTS, MetricSettings

    typed = MetricSettings()
    for family, defaults in METRIC_SETTINGS_DEFAULTS.items():
        assert dataclasses.asdict(getattr(typed, family)) == defaults
    assert MetricSettings.from_dict(METRIC_SETTINGS_DEFAULTS) == typed
    assert load_config(_config()).metric_settings == typed


@pytest.mark.parametrize(
    "changes, key",
    [
        ({"batch_size": "8"}, "batch_size"),
        ({"seed": 1.5}, "seed"),
        ({"threads": 0}, "threads"),
        ({"save_maps": -1}, "save_maps"),
        ({"output_dir": 3}, "output_dir"),
        ({"models": [{"name": "efficientnet_lite0", "weights": "missing.pt"}]}, "models[0]: weights"),
        ({"explainers": [{"name": "centre", "models": []}]}, "explainers[0]: models"),
        ({"dataset": {"name": "samples", "image_size": 16}}, "dataset.image_size"),
        ({"dataset": {"name": "samples", "num_images": 0}}, "dataset.num_images"),
        ({"dataset": {"name": "samples", "offset": -1}}, "dataset.offset"),
        ({"dataset": {"name": "samples", "crop_fraction": 0}}, "dataset.crop_fraction"),
        ({"dataset": {"name": "samples", "options": []}}, "dataset.options"),
        ({"metric_settings": {"faithfulness": {"batch_size": 0}}}, "metric_settings.faithfulness.batch_size"),
        ({"metric_settings": {"faithfulness": {"step": "all"}}}, "metric_settings.faithfulness.step"),
        ({"metric_settings": {"localisation": {"region": "pixels"}}}, "metric_settings.localisation.region"),
        ({"metric_settings": {"plausibility": {"sauc_other_images": 0}}}, "metric_settings.plausibility.sauc_other"),
        ({"metric_settings": {"scanpath": {"grid": 0}}}, "metric_settings.scanpath.grid"),
        ({"metric_settings": {"scanpath": [5]}}, "metric_settings.scanpath must be a mapping"),
    ],
)
def test_invalid_values_name_their_key(changes, key):
    """Values the typed settings would hold wrongly are refused by load_config, naming the key."""
    import re

    with pytest.raises(ConfigError, match=re.escape(key)):
        load_config(_config(**changes))


def test_plan_at_model_size_returns_a_new_plan():
    import dataclasses
    from types import SimpleNamespace

    from fovex.evaluation.plan import plan_at_model_size, plan_models

    fixed = load_config(_config(dataset={"name": "samples", "split": "imagenet", "num_images": 3, "image_size": 96}))
    free = load_config(_config(dataset={"name": "samples", "split": "imagenet", "num_images": 3}))
    model = SimpleNamespace(input_size=64)
    plan = plan_models(fixed)[0]
    assert plan_at_model_size(fixed, plan, model) is plan  # the config fixes the size
    plan = plan_models(free)[0]
    sized = plan_at_model_size(free, plan, model)
    assert (plan.image_size, sized.image_size) == (224, 64) and sized.dataset is not plan.dataset
    assert (sized.index, sized.entry, sized.selection, sized.batches) == (
        plan.index,
        plan.entry,
        plan.selection,
        plan.batches,
    )
    assert tuple(sized.dataset[0].image.shape) == (3, 64, 64)
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.image_size = 64
    # A resolved mapping (a manifest's config) plans the same selection.
    assert plan_models(free.to_dict())[0].selection == plan.selection


def test_compile_is_a_checked_mode_that_does_not_change_the_hash():
    default = load_config(_config())
    assert default.compile is None
    compiled = load_config(_config(compile="reduce-overhead"))
    assert compiled.compile == "reduce-overhead" and compiled["compile"] == "reduce-overhead"
    assert compiled.hash == default.hash  # how the model runs, not what a run computes
    with pytest.raises(
        ConfigError, match=r"unknown compile mode 'reduce_overhead' \(did you mean 'reduce-overhead'\?\)"
    ):
        load_config(_config(compile="reduce_overhead"))
    with pytest.raises(ConfigError, match="unknown compile mode True"):
        load_config(_config(compile=True))


# ------------------------------------------------------------------- issue 36: refused at load, not mid-run

ISSUE_36_REFUSALS = [
    # an explainer seed torch cannot take (passed validation, overflowed in the middle of the run)
    ({"explainers": [{"name": "random", "settings": {"seed": 2**64}}]}, "seed must be <= 18446744073709551615"),
    ({"explainers": [{"name": "fovex", "settings": {"seed": -(2**63) - 1}}]}, "seed must be >="),
    # settings that are no mapping (a preset's name, a list)
    ({"explainers": [{"name": "fovex", "settings": "fast"}]}, "settings must be a mapping"),
    ({"explainers": [{"name": "fovex", "settings": [1, 2]}]}, "settings must be a mapping"),
    # metric settings that failed only after the model was loaded
    ({"metric_settings": {"faithfulness": {"insertion_substrate": "blurr"}}}, "insertion_substrate: unknown substrate"),
    ({"metric_settings": {"faithfulness": {"deletion_substrate": "meen"}}}, "deletion_substrate: unknown substrate"),
    ({"metric_settings": {"faithfulness": {"score": "probability"}}}, "faithfulness.score: unknown score"),
    ({"metric_settings": {"localisation": {"tolerance_px": "15"}}}, "tolerance_px must be a number"),
    # sizes that crashed, or exhausted memory and were recorded as failed images
    ({"explainers": [{"name": "fovex", "settings": {"steps": 10**9}}]}, "steps must be <= 10000"),
    ({"explainers": [{"name": "rise", "settings": {"masks": 10**9}}]}, "masks must be <= 100000"),
    ({"explainers": [{"name": "meaningful_perturbation", "settings": {"steps": 10**9}}]}, "steps must be <= 100000"),
    ({"threads": 10**9}, "threads: must be <= 1024"),
    ({"dataset": {"name": "samples", "image_size": 100000}}, "image_size: must be <= 4096"),
]


@pytest.mark.parametrize("changes, message", ISSUE_36_REFUSALS, ids=lambda value: str(value)[:40])
def test_what_failed_mid_run_is_refused_when_the_config_is_loaded(changes, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(_config(**changes))


def test_a_preset_given_as_settings_is_refused_with_how_to_write_it():
    with pytest.raises(ConfigError, match=re.escape("(a preset is written settings: {preset: fast})")):
        load_config(_config(explainers=[{"name": "fovex", "settings": "fast"}]))
    # A number is a substrate too (a constant grey), as the metric takes it.
    config = load_config(_config(metric_settings={"faithfulness": {"deletion_substrate": 0.5}}))
    assert config.metric_settings.faithfulness.deletion_substrate == 0.5


def test_a_config_that_is_no_text_is_one_line(tmp_path, capsys):
    """Issue 36: `fovex evaluate photo.jpg` raised UnicodeDecodeError."""
    from fovex.cli import main
    from fovex.data.samples import foolbox_imagenet_files

    (photo, _), *_ = foolbox_imagenet_files()
    assert main(["evaluate", str(photo), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert f"{photo}: not a text file" in err and "a config is YAML" in err
    assert not (tmp_path / "out").exists()

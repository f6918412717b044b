import torch
from conftest import make_textured_images

from fovex import FovEx
from fovex.explain import scanpath_attribution
from fovex.metrics import average_drop_increase, insertion_deletion
from fovex.study.ablation import MapVariant, map_spread, rescore_scanpath_variants


def _stored(explanation, i):
    return {
        "fixations_xy": explanation.fixations_xy[i].numpy(),
        "losses": explanation.losses[i].numpy(),
        "blurred_loss": explanation.extras["blurred_loss"][i].numpy(),
    }


def test_rebuilt_maps_equal_the_explainers_own(patch_classifier):
    images = make_textured_images(2)
    for aggregation in ("sum", "max", "loss_weighted"):
        explanation = FovEx(patch_classifier, fixations=3, steps=3, aggregation=aggregation).explain(images, targets=1)
        rebuilt = scanpath_attribution(
            explanation.fixations_xy,
            224,
            224,
            0.15,
            aggregation,
            losses=explanation.losses,
            blurred_loss=explanation.extras["blurred_loss"],
        )
        assert torch.allclose(rebuilt, explanation.attribution, atol=1e-5)


def test_variants_are_scored_like_the_metric_scores_their_maps(patch_classifier):
    images = make_textured_images(2, seed=5)
    explanation = FovEx(patch_classifier, fixations=3, steps=3).explain(images, targets=1)
    variants = [MapVariant(), MapVariant(upto=1), MapVariant(heatmap_s=0.05, aggregation="max")]
    table = rescore_scanpath_variants(
        patch_classifier,
        images,
        explanation.targets,
        [_stored(explanation, i) for i in range(2)],
        variants,
        image_ids=["a", "b"],
        step=3584,
    )
    assert len(table) == 6 and set(table["image_id"]) == {"a", "b"}
    for variant in variants:
        maps = scanpath_attribution(
            explanation.fixations_xy,
            224,
            224,
            variant.heatmap_s,
            variant.aggregation,
            upto=variant.upto,
            losses=explanation.losses,
            blurred_loss=explanation.extras["blurred_loss"],
        )
        expected = insertion_deletion(patch_classifier, images, maps, explanation.targets, step=3584)
        rows = table[table["variant"] == variant.label]
        assert rows["deletion_auc"].tolist() == [float(v) for v in expected.deletion.auc]
        assert rows["insertion_auc"].tolist() == [float(v) for v in expected.insertion.auc]
        drop = average_drop_increase(patch_classifier, images, maps, explanation.targets)
        assert rows["drop_pct"].tolist() == [float(v) for v in drop.drop_pct]
        assert rows["map_mean"].tolist() == [float(v) for v in maps.mean(dim=(1, 2))]
    # The first fixation alone lands on the patch evidence: deleting its map kills the score fastest.
    first_only = table[table["upto"] == 1]["deletion_auc"].mean()
    published = table[(table["upto"].isna()) & (table["aggregation"] == "sum")]["deletion_auc"].mean()
    assert first_only <= published + 1e-6


def test_map_spread_by_hand():
    maps = torch.zeros(2, 4, 4)
    maps[0, :2, :] = 1.0  # half the image fully kept
    maps[1] = 0.5  # everything half kept: above the 0.5 threshold too
    spread = map_spread(maps)
    assert spread["map_mean"].tolist() == [0.5, 0.5]
    assert spread["map_above_half"].tolist() == [0.5, 1.0]

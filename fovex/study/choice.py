"""The map variant chosen once on the development photos (``fovex study choose``), by the study's judged words."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .axes import load_axis
from .paths import DEVELOPMENT_PHOTOS, REPO_ROOT, variant_choice_path
from .variants import load_map_variants

__all__ = ["record_variant_choice"]


def record_variant_choice(root: Path = REPO_ROOT, prefer: str = "run") -> dict:
    """Apply :func:`fovex.study.findings.choose_variant` (the study's judged words) to the complete development
    set and commit the choice.

    The choice is recorded once (``book/measurements/study-variant-choice.json``, with the rule, every
    candidate's paired differences, the photos, date and commit) *before* the held-out photos are
    scored; recording it again is refused. Raises ValueError while the development set is incomplete.
    """
    import json
    from datetime import datetime, timezone

    from ..evaluation.provenance import git_state
    from ..files import atomic_write_bytes
    from .findings import choose_variant

    path = variant_choice_path(root)
    if path.is_file():
        recorded = json.loads(path.read_text())
        raise FileExistsError(f"{path}: the variant was chosen on {recorded.get('recorded_at')}; a choice is made once")
    loaded, faithfulness = load_map_variants(root, prefer), load_axis("faithfulness", root, prefer)
    rows = loaded[0] if loaded is not None else pd.DataFrame()
    ids = sorted(set(rows["image_id"])) if len(rows) else []
    if len(ids) < DEVELOPMENT_PHOTOS or faithfulness is None:
        raise ValueError(
            f"the development set is incomplete: {len(ids)} of {DEVELOPMENT_PHOTOS} photos re-scored "
            "(fovex study run faithfulness map-variants)"
        )
    from .chapters.receptive_field import PUBLISHED_MAP
    from .judged import VARIANTS, judged_study

    choice = choose_variant(judged_study(root, prefer), VARIANTS, PUBLISHED_MAP)
    fields = rows.loc[rows["variant"] == choice["choice"], ["heatmap_s", "aggregation", "upto"]].head(1)
    choice.update(
        {
            "variant_fields": None
            if fields.empty
            else {k: (None if pd.isna(v) else v) for k, v in fields.iloc[0].items()},
            "development_photos": ids,
            "recorded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "git": git_state(),
        }
    )
    atomic_write_bytes(path, json.dumps(choice, indent=2, default=float).encode())
    return choice

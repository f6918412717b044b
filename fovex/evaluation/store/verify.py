"""Checking an exported table against its provenance before its rows are trusted again.

An export (:func:`~fovex.evaluation.store.export_results`) records, next to its rows, their number and checksums:
the SHA-256 of the CSV file and, per batch part (model, explainer, batch), the SHA-256 of its records
as written (the fields' text, not numbers parsed back, so the check is exact). A table cut short, torn,
edited, with a row dropped or duplicated no longer matches them; :func:`verify_export` then keeps
only the parts that still match, so a restore recomputes the others instead of trusting them.

Exports written before checksums were recorded are checked by what the provenance does record: the
number of rows, one row per key, no torn last line, and each part holding its batch's images with as
many rows per image as the other explainers. An edited value in such an export cannot be detected.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ExportCheck", "GROUP_COLUMNS", "export_checksums", "group_key", "verify_export"]

#: The columns naming a batch part: a restore writes one part per value of them.
GROUP_COLUMNS = ("model", "explainer", "batch")


def group_key(model, explainer, batch) -> str:
    """``"model|explainer|batch"``: how the checksums name a part."""
    return f"{model}|{explainer}|{int(batch)}"


def _records(text: str) -> tuple[list[str], list[list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    return header, [record for record in reader if record]


def _digest(records: list[list[str]]) -> str:
    hasher = hashlib.sha256()
    for record in records:
        hasher.update("\x1f".join(record).encode())
        hasher.update(b"\x1e")
    return hasher.hexdigest()


def _groups(header: list[str], records: list[list[str]]) -> dict[str, list[int]]:
    """Group key -> the indices of its records (file order); {} when the table has no part columns."""
    if not all(name in header for name in GROUP_COLUMNS):
        return {}
    positions = [header.index(name) for name in GROUP_COLUMNS]
    groups: dict[str, list[int]] = {}
    for index, record in enumerate(records):
        try:
            key = group_key(*(record[p] for p in positions))
        except (IndexError, ValueError):
            key = "?"  # a torn or edited record: it matches no recorded part
        groups.setdefault(key, []).append(index)
    return groups


def export_checksums(data: bytes, attempts: dict[str, int] | None = None) -> dict:
    """The checksums an export records for its CSV ``data``: ``sha256`` of the file and, per part,
    ``{"rows", "sha256", "attempt"}`` (``attempt``: the index of the run attempt that computed it,
    where known)."""
    header, records = _records(data.decode())
    parts = {}
    for key, indices in _groups(header, records).items():
        entry = {"rows": len(indices), "sha256": _digest([records[i] for i in indices])}
        if attempts and attempts.get(key) is not None:
            entry["attempt"] = attempts[key]
        parts[key] = entry
    return {"sha256": hashlib.sha256(data).hexdigest(), "parts": parts}


@dataclass
class ExportCheck:
    """What :func:`verify_export` found: the rows it trusts, and why it set others aside."""

    rows: object  # pandas.DataFrame: the trusted rows, in file order
    verified_by: str
    problems: list[str] = field(default_factory=list)
    rejected_parts: list[str] = field(default_factory=list)
    rejected_rows: int = 0
    attempts: dict[str, int] = field(default_factory=dict)  # part -> the attempt that computed it (where recorded)

    @property
    def intact(self) -> bool:
        return not self.problems


def verify_export(
    path: str | os.PathLike,
    provenance: dict,
    key_columns: list[str] | None = None,
    batch_images: dict[int, set[str]] | None = None,
) -> ExportCheck:
    """Read an exported table and keep the rows its provenance vouches for.

    - a last line without its line end is torn: dropped;
    - the file's SHA-256 equals the recorded one: every row is trusted;
    - otherwise, with per-part checksums recorded: the parts whose records still match are trusted;
    - with none recorded (an export from before checksums): every row is trusted when the row count
      equals the recorded ``rows`` and ``key_columns`` identify one row each; else only the parts
      without a duplicated key or an empty ``status``, holding exactly their batch's images
      (``batch_images``: batch -> image ids, where known) with as many rows per image as every other
      part of that batch.
    """
    import pandas as pd

    path = Path(path)
    data = path.read_bytes()
    try:
        text = data.decode()
    except UnicodeDecodeError as error:  # not text: nothing in it can be trusted
        problem = f"it is not UTF-8 text (byte {error.start}: {error.reason})"
        return ExportCheck(pd.DataFrame(), "nothing (not text)", [problem], ["*"], int(provenance.get("rows") or 0))
    problems: list[str] = []
    if text and not text.endswith("\n"):
        problems.append("its last line is torn (no line end)")
        text = text[: text.rfind("\n") + 1]
    header, records = _records(text)
    rows = pd.read_csv(io.StringIO(text), dtype={"image_id": str}) if header else pd.DataFrame()
    if len(rows) != len(records):  # csv and pandas disagree on the records: nothing here can be trusted
        problems.append("its records cannot be read consistently")
        return ExportCheck(rows.iloc[:0], "nothing (unreadable)", problems, ["*"], len(rows))
    recorded = provenance.get("checksums") or {}
    parts = recorded.get("parts") or {}
    attempts = {key: entry["attempt"] for key, entry in parts.items() if entry.get("attempt") is not None}
    if not problems and recorded.get("sha256") == hashlib.sha256(data).hexdigest():
        return ExportCheck(rows, "checksum", attempts=attempts)
    if recorded.get("sha256"):
        problems.append("its SHA-256 differs from the one recorded at export")
    expected = provenance.get("rows")
    if expected is not None and len(rows) != int(expected):
        problems.append(f"it holds {len(rows)} rows, its provenance records {expected}")
    keys = [name for name in (key_columns or []) if name in rows.columns]
    duplicated = rows.duplicated(keys, keep=False) if keys else pd.Series(False, index=rows.index)
    if duplicated.any():
        problems.append(f"{int(duplicated.sum())} rows share their key ({', '.join(keys)}) with another")
    groups = _groups(header, records)
    if parts:
        trusted = [
            key
            for key, indices in groups.items()
            if parts.get(key, {}).get("sha256") == _digest([records[i] for i in indices])
        ]
        verified_by = "per-part checksums"
    elif not problems:
        return ExportCheck(rows, "row count and keys (no checksum recorded)")
    else:
        trusted = _structurally_whole(rows, groups, duplicated, batch_images)
        verified_by = "row count, keys and batch contents (no checksum recorded)"
    keep = sorted(index for key in trusted for index in groups[key])
    # Parts the provenance records that the file no longer holds at all are set aside too (with their rows).
    lost = sorted(set(parts) - set(groups))
    rejected = sorted(set(groups) - set(trusted)) + lost
    missing_rows = sum(int(parts[key].get("rows") or 0) for key in lost)
    if not parts and expected is not None and int(expected) > len(rows):
        missing_rows = int(expected) - len(rows)  # without checksums, the lost parts are not known by name
    rejected_rows = len(rows) - len(keep) + missing_rows
    return ExportCheck(rows.iloc[keep], verified_by, problems, rejected, rejected_rows, attempts)


def _structurally_whole(rows, groups: dict[str, list[int]], duplicated, batch_images) -> list[str]:
    """The parts of an export without checksums that hold one whole batch each."""
    per_image: dict[tuple[int, str], int] = {}  # (batch, image) -> the most rows any part has for it
    counts = {}
    for key, indices in groups.items():
        if key == "?":
            continue
        batch = int(key.rsplit("|", 1)[1])
        counts[key] = rows.iloc[indices]["image_id"].value_counts().to_dict()
        for image, count in counts[key].items():
            per_image[(batch, image)] = max(per_image.get((batch, image), 0), count)
    trusted = []
    for key, indices in groups.items():
        if key == "?" or duplicated.iloc[indices].any():
            continue
        if "status" in rows.columns and rows.iloc[indices]["status"].isna().any():
            continue
        batch = int(key.rsplit("|", 1)[1])
        images = set(counts[key])
        wanted = batch_images.get(batch) if batch_images else None
        if wanted is not None and images != set(wanted):
            continue
        if any(counts[key][image] != per_image[(batch, image)] for image in images):
            continue
        trusted.append(key)
    return trusted

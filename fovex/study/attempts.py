"""Which code computed a run's rows: its attempts, each with its commit, a clean-tree flag and its rows.

A run resumed several times has rows from several attempts, each of which records the commit it ran
(``git``: ``commit`` and ``dirty``). What the records can and cannot say, read truthfully:

- an attempt that records its ``index`` (runs since parts name their attempt) knows its ``rows``;
- an attempt reconstructed by a restore from an export that predates per-attempt records (its
  ``note`` says so, or it names no ``git``) has an *unknown* commit: the commit such an export
  named was its latest attempt's, made after the run started (``git_at_export``, shown as a note);
- a restore record (``restored_from``) counts the rows present at that export, so the attempts
  between two restores computed the difference together (their rows, where there is one attempt);
- an export with no attempts at all (the earliest exports) and the derived tables (map variants,
  spreads, the variant choice) name one commit: the table's, marked clean or dirty as recorded; for
  a run export without attempts, that commit is the latest attempt's and the earlier ones are unknown.
"""

from __future__ import annotations

import math

import pandas as pd

__all__ = ["UNKNOWN", "attempt_history", "code_label", "code_text"]

#: How a commit that is not recorded reads.
UNKNOWN = "unknown"


def code_label(git: dict | None) -> tuple[str, object]:
    """``(commit, clean)`` of a ``git`` record: 10 hex digits (or "unknown"), True/False (or "unknown")."""
    commit = ((git or {}).get("commit") or "")[:10] or UNKNOWN
    dirty = (git or {}).get("dirty")
    return commit, (UNKNOWN if commit == UNKNOWN or dirty is None else not dirty)


def code_text(git: dict | None) -> str:
    """``"commit 4ba10f04ae (dirty tree)"``, ``"commit 4ba10f04ae"`` or ``"code unknown"``: a record's code, as
    pages print it (a dirty tree always said)."""
    commit, clean = code_label(git)
    if commit == UNKNOWN:
        return "code unknown"
    return f"commit {commit}" + ("" if clean is True else " (dirty tree)" if clean is False else " (tree unknown)")


def _reconstructed(attempt: dict) -> bool:
    note = str(attempt.get("note", ""))
    return "not recorded" in note or "git_at_export" in attempt


def attempt_history(provenance: dict) -> pd.DataFrame:
    """One row per attempt (and per restore) of a run's provenance (an export's JSON or a manifest).

    Columns: ``attempt`` (1-based), ``started_at``, ``what`` ("computed" or "restored"), ``commit``,
    ``clean``, ``rows`` (the rows it computed, or restored; NaN where the records do not say) and
    ``note``. A provenance without attempts gives one row for the table as a whole.
    """
    attempts = provenance.get("attempts")
    total = provenance.get("rows")
    if not attempts:
        commit, clean = code_label(provenance.get("git"))
        note = ""
        if "config_hash" in provenance:  # a run export without attempts: its git is the latest attempt's
            note = f"attempts not recorded; the latest one's commit was {commit}"
            commit, clean = UNKNOWN, UNKNOWN
        started = provenance.get("created_at") or provenance.get("recorded_at") or provenance.get("exported_at")
        return pd.DataFrame(
            [
                {
                    "attempt": 1,
                    "started_at": started,
                    "what": "computed",
                    "commit": commit,
                    "clean": clean,
                    "rows": total if total is not None else math.nan,
                    "note": note,
                }
            ]
        )
    entries = []
    for number, attempt in enumerate(attempts, start=1):
        if "restored_from" in attempt:
            entries.append(
                {
                    "attempt": number,
                    "started_at": attempt.get("exported_at"),
                    "what": "restored",
                    "commit": "",
                    "clean": "",
                    "rows": attempt.get("rows", math.nan),
                    "note": f"rows of {attempt['restored_from']} (exported {attempt.get('exported_at')})",
                }
            )
            continue
        commit, clean = code_label(attempt.get("git"))
        note = ""
        if _reconstructed(attempt):
            latest = code_label(attempt.get("git_at_export") or attempt.get("git"))[0]
            commit, clean = UNKNOWN, UNKNOWN
            note = f"attempts before the first export were not recorded; that export named {latest}, its latest"
        elif attempt.get("git") is None:
            note = "this attempt recorded no commit"
        entries.append(
            {
                "attempt": number,
                "started_at": attempt.get("started_at"),
                "what": "computed",
                "commit": commit,
                "clean": clean,
                "rows": attempt.get("rows", math.nan),
                "note": note,
            }
        )
    table = pd.DataFrame(entries)
    _attribute_segments(table, total)
    return table


def _attribute_segments(table: pd.DataFrame, total) -> None:
    """Rows of attempts that did not record them: between two restores (or a restore and the end)
    the computing attempts added the difference of the row counts; one attempt alone gets it."""
    before = 0
    segment: list[int] = []
    ends = [(i, row["rows"]) for i, row in table.iterrows() if row["what"] == "restored"]
    ends.append((len(table), total if total is not None else math.nan))
    start = 0
    for end, rows_then in ends:
        segment = [i for i in range(start, end) if table.at[i, "what"] == "computed"]
        known = sum(table.at[i, "rows"] for i in segment if not _missing(table.at[i, "rows"]))
        unknown = [i for i in segment if _missing(table.at[i, "rows"])]
        added = rows_then - before - known if not _missing(rows_then) else math.nan
        if len(unknown) == 1 and not _missing(added):
            table.at[unknown[0], "rows"] = added
        elif len(unknown) > 1 and not _missing(added):
            span = f"attempts {table.at[unknown[0], 'attempt']}-{table.at[unknown[-1], 'attempt']}"
            for i in unknown:
                text = f"{int(added)} rows by {span} together"
                table.at[i, "note"] = f"{table.at[i, 'note']}; {text}" if table.at[i, "note"] else text
        if not _missing(rows_then):
            before = rows_then
        start = end + 1


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))

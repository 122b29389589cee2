"""The voice gap: each stakeholder group's share of posts and questions beside its share of the registered
participants, from a small CSV organisers provide (``group,registered``; a group's key or label).

Shares are taken among the registered groups only: posts by unclassified accounts and questions with
no group stated belong to no registered group, so they are left out of both sides of the comparison.
A group is *under-heard* where its share of contributions is less than half its share of registrations.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from engagement import settings

FILE_NAME = "registrations.csv"
UNDER_HEARD = 0.5  # contributions share / registrations share below this: under-heard


class RegistrationsError(ValueError):
    pass


def read_registrations(source: Path | str | None, groups: pd.DataFrame) -> tuple[pd.DataFrame, bool] | None:
    """(group key, registered) from ``source`` (default ``data/registrations.csv``) and whether the file
    says its figures are illustrative; None when there is no file."""
    path = Path(source) if source else settings.data_dir() / FILE_NAME
    if not path.exists():
        if source:
            raise RegistrationsError(f"{path}: no such file")
        return None
    by_label = {label.lower(): key for key, label in zip(groups["key"], groups["label"], strict=True)}
    keys = set(groups["key"])
    rows, illustrative = [], False
    with path.open(newline="", encoding="utf-8-sig") as handle:
        lines = [line for line in handle if not line.lstrip().startswith("#")]
    reader = csv.DictReader(lines)
    if not reader.fieldnames or not {"group", "registered"} <= {f.strip() for f in reader.fieldnames}:
        raise RegistrationsError(f"{path.name}: expected the columns group,registered")
    for number, row in enumerate(reader, start=2):
        name = (row.get("group") or "").strip()
        key = name if name in keys else by_label.get(name.lower())
        if key is None:
            raise RegistrationsError(f"{path.name}:{number}: {name!r} is not a stakeholder group of this event")
        try:
            registered = int((row.get("registered") or "").strip())
        except ValueError:
            raise RegistrationsError(f"{path.name}:{number}: 'registered' must be a whole number") from None
        if registered < 0:
            raise RegistrationsError(f"{path.name}:{number}: 'registered' cannot be negative")
        illustrative = illustrative or (row.get("illustrative") or "").strip().lower() in ("true", "yes", "1")
        rows.append((key, registered))
    return pd.DataFrame(rows, columns=["key", "registered"]).groupby("key", as_index=False).sum(), illustrative


def _share(values: pd.Series) -> pd.Series:
    total = values.sum()
    return (values / total) if total else values * 0.0


def gap_by_group(by_group: pd.DataFrame, registrations: pd.DataFrame) -> pd.DataFrame:
    """``by_group`` has key, group, posts, questions. One row per registered group with the shares and
    the ratio of each contribution share to the registration share (1 = heard in proportion)."""
    # In the taxonomy's order (by_group's), registered groups only.
    frame = by_group[["key", "group", "posts", "questions"]].merge(
        registrations[registrations["registered"] > 0], on="key", how="inner"
    )
    frame["registered share"] = _share(frame["registered"])
    frame["posts share"] = _share(frame["posts"])
    frame["questions share"] = _share(frame["questions"])
    for measure in ("posts", "questions"):
        frame[f"{measure} ratio"] = (frame[f"{measure} share"] / frame["registered share"]).round(2)
    frame["under-heard"] = (frame["posts ratio"] < UNDER_HEARD) | (frame["questions ratio"] < UNDER_HEARD)
    columns = [
        "group",
        "registered",
        "registered share",
        "posts",
        "posts share",
        "posts ratio",
        "questions",
        "questions share",
        "questions ratio",
        "under-heard",
    ]
    frame[["registered share", "posts share", "questions share"]] = frame[
        ["registered share", "posts share", "questions share"]
    ].round(3)
    return frame[columns]


def gap_by_session(contributions: pd.DataFrame, registrations: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """``contributions`` has session, key, contributions (posts + questions). For each session, the
    registered groups whose share of the session's contributions is under half their registration share.

    Plain Python over the few sessions and groups: a pandas merge a session took 10 ms, a quarter
    of a second for the demo's programme, on every cold run of the summary."""
    registered = registrations[registrations["registered"] > 0]
    keys = [str(key) for key in registered["key"]]
    counts = [float(count) for count in registered["registered"]]
    total = sum(counts)
    registered_share = dict(zip(keys, [count / total if total else 0.0 for count in counts], strict=True))
    by_session: dict[str, dict[str, float]] = {}  # in order of first appearance, as groupby(sort=False)
    for session_title, key, count in zip(
        contributions["session"], contributions["key"], contributions["contributions"], strict=True
    ):
        if pd.isna(session_title):
            continue  # as groupby leaves out
        heard = by_session.setdefault(session_title, {})
        if key in registered_share and not pd.isna(count):
            heard[key] = heard.get(key, 0.0) + float(count)
    rows = []
    for session_title, heard in by_session.items():
        said = sum(heard.values())
        if said == 0:
            continue
        under = sorted(
            (
                (share / registered_share[key], key, share)
                for key in keys
                if (share := heard.get(key, 0.0) / said) / registered_share[key] < UNDER_HEARD
            ),
            key=lambda item: item[0],
        )
        rows.append(
            {
                "session": session_title,
                "contributions": int(said),
                "under-heard groups": "; ".join(
                    f"{labels.get(k, k)} ({s:.0%} of contributions, {registered_share[k]:.0%} of registrations)"
                    for _, k, s in under
                ),
                "groups under-heard": len(under),
            }
        )
    return pd.DataFrame(rows, columns=["session", "contributions", "groups under-heard", "under-heard groups"])

"""The per-pass profile the classification docs quote runs every pass of the classifier."""

from __future__ import annotations

from benchmarks.profile_classify import profile
from transforms.scope import SCOPE_OPS
from transforms.tags import TAGS


def test_profile_times_every_rule_pass() -> None:
    rows = dict(profile(300, repeats=1))
    expected = {"lowercase", *(op.name for op in SCOPE_OPS), *(f"tag {tag}" for tag in TAGS)}
    assert expected <= rows.keys()
    assert {"years asked", "text cues", "work modes", "salary", "classify_lazy, whole"} <= rows.keys()
    passes = [cpu for name, cpu in rows.items() if not name.startswith(("(", "classify_lazy"))]
    assert all(cpu >= 0 for cpu in passes)
    assert rows["(sum of passes)"] == sum(passes)

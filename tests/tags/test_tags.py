from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest

from shequn.conditions import ConditionError
from shequn.engines.base import Engine
from shequn.pipeline.build import tag_tables
from shequn.tags.spec import TagFile, TagFileError, load

PROFILES = pa.table({
    "member_id": [f"m{i}" for i in range(2000)],
    "age": [20 + i % 50 if i % 10 else None for i in range(2000)],
    "purchases": [i % 5 for i in range(2000)],
    "recency_days": [100 + i % 900 for i in range(2000)],
    "income_band": ["middle" if i % 2 else "high" for i in range(2000)],
})
SPEC = """
tags:
  - {name: lifecycle, kind: stages, stages: [
      {value: loyal_user, when: "purchases >= 3 AND recency_days <= 730"},
      {value: experiencer, when: "purchases >= 1"},
      {value: onlooker, when: "true"}]}
  - {name: age_band, kind: bands, field: age, bands: [25, 35, 45]}
segments:
  - {name: loyal_middle, when: "lifecycle = 'loyal_user' AND income_band = 'middle'"}
audiences:
  - {name: campaign, segment: loyal_middle, holdout: 0.2}
"""


def _run(engine: Engine, spec: TagFile) -> Engine:
    engine.view_arrow("traits", PROFILES)
    tag_tables(engine, spec)
    return engine


def _spec(text: str, tmp_path: Path) -> TagFile:
    path = tmp_path / "tags.yaml"
    path.write_text(text, encoding="utf-8")
    return load(path)


def test_stages_bands_segments_and_audiences(tmp_path: Path, engine: Engine,
                                             engine_factory: Callable[[], Engine]) -> None:
    _run(engine, _spec(SPEC, tmp_path))
    tags = {(r["member_id"], r["name"]): r["value"]
            for r in engine.table("tags").to_pylist()}
    assert tags[("m3", "lifecycle")] == "loyal_user"   # 3 purchases, 103 days ago
    assert tags[("m1", "lifecycle")] == "experiencer"
    assert tags[("m0", "lifecycle")] == "onlooker"
    assert tags[("m1", "age_band")] == "<25"            # 21
    assert tags[("m15", "age_band")] == "35–45"         # 35
    assert tags[("m49", "age_band")] == "45+"           # 69
    assert ("m10", "age_band") not in tags              # unknown age: no band
    loyal_middle = {r["member_id"] for r in engine.table("segments").to_pylist()}
    expected = {m for m, p, r, inc in zip(*(PROFILES[c].to_pylist() for c in (
        "member_id", "purchases", "recency_days", "income_band")), strict=True)
        if p >= 3 and r <= 730 and inc == "middle"}
    assert loyal_middle == expected
    audience = engine.table("audiences").to_pylist()
    assert {a["member_id"] for a in audience} == expected
    holdout = sum(a["group_name"] == "holdout" for a in audience) / len(audience)
    assert 0.12 < holdout < 0.28
    other = engine_factory()
    try:
        again = _run(other, _spec(SPEC, tmp_path)).table("audiences").to_pylist()
    finally:
        other.close()
    assert sorted(map(str, again)) == sorted(map(str, audience))  # same sides every build


def test_a_misspelt_field_is_named(tmp_path: Path, engine: Engine) -> None:
    spec = _spec(SPEC.replace("income_band = 'middle'", "incme_band = 'middle'"), tmp_path)
    with pytest.raises(ConditionError, match=r"segment loyal_middle: unknown field.*incme_band"):
        _run(engine, spec)


@pytest.mark.parametrize(("text", "message"), [
    ("tags: [{name: x, kind: bands, field: age}]", "needs field and bands"),
    ("tags: [{name: x, kind: rule, when: 'true', colour: red}]", "colour"),
    ("audiences: [{name: a, segment: nowhere}]", "no segment named 'nowhere'"),
    ("tags: [{name: x, kind: rule, when: 'a'}, {name: x, kind: rule, when: 'b'}]",
     "used twice: x"),
    ("tags: [{name: x, kind: bands, field: age, bands: [30, 20]}]", "increasing"),
    ("tags: [oops", "not valid YAML"),
])
def test_bad_tag_files_are_refused_with_the_reason(tmp_path: Path, text: str,
                                                   message: str) -> None:
    with pytest.raises(TagFileError, match=message):
        _spec(text, tmp_path)


def test_the_shipped_tag_file_loads() -> None:
    spec = load()
    assert {"lifecycle", "age_band"} <= {t.name for t in spec.tags}
    assert spec.audiences and all(0 < a.holdout < 1 for a in spec.audiences)


def test_a_member_s_strongest_demand_is_the_same_every_run(engine: Engine) -> None:
    """Equal scores go to the higher probability, then to the category's name: a tie
    must never make an audience differ between two builds of one lake."""
    from shequn.tags.compile import TRAITS

    scores = pa.table({
        "member_id": ["m1", "m1", "m1", "m2", "m2", "m3"],
        "category": ["washer", "tv", "dryer", "tv", "washer", "tv"],
        "score": [40, 40, 10, 40, 40, 5],
        "probability": [0.2, 0.2, 0.9, 0.1, 0.3, None],
    })
    engine.view_arrow("profiles", PROFILES.slice(1, 2))  # m1 and m2; m3 has no profile
    engine.view_arrow("scores", scores)
    for _ in range(20):  # row order inside DuckDB's aggregation varies between runs
        rows = engine.query(TRAITS + " ORDER BY member_id").to_pylist()
        assert [(r["member_id"], r["top_category"], r["top_score"], r["top_probability"])
                for r in rows] == [("m1", "tv", 40, 0.9), ("m2", "washer", 40, 0.3)]


def test_a_tag_whose_field_no_member_has_is_skipped_not_given(tmp_path: Path,
                                                              engine: Engine) -> None:
    traits = PROFILES.append_column("interest_share", pa.nulls(PROFILES.num_rows,
                                                               pa.map_(pa.string(),
                                                                       pa.float64())))
    spec = _spec("""
tags:
  - {name: health_reader, kind: rule, when: "coalesce(interest_share['health'], 0) >= 0.2"}
  - {name: grown_up, kind: rule, when: "age >= 30"}
segments:
  - {name: healthy, when: "health_reader"}
  - {name: grown, when: "grown_up"}
""", tmp_path)
    engine.view_arrow("traits", traits)
    skipped = tag_tables(engine, spec)
    assert skipped == {"tags": {"health_reader": "no member has interest_share"},
                       "segments": {"healthy": "reads tag health_reader, not applied"}}
    given = engine.query("SELECT name, count(*) AS n FROM tags GROUP BY name").to_pylist()
    assert {r["name"] for r in given} == {"grown_up"}
    sizes = {r["name"]: r["n"] for r in engine.query(
        "SELECT name, count(*) AS n FROM segments GROUP BY name").to_pylist()}
    assert "healthy" not in sizes and sizes["grown"] > 0

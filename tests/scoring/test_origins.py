"""On the demo world: the kinds of its categories, the learned model's training origins
and the hashed sample of members each one takes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest

from shequn.engines.base import Engine
from shequn.pipeline.build import as_of_time, open_lake, resolve_identity
from shequn.profile import queries as pq_
from shequn.scoring.learn import BUYERS, feature_snapshot, train_demand_model
from shequn.settings import Settings


@pytest.fixture(scope="module")
def resolved(demo_lake: tuple[Settings, dt.date], engine_factory: Callable[[], Engine]
             ) -> Iterator[tuple[Engine, dt.datetime]]:
    """The demo world resolved once per engine, its member events beside it."""
    settings, as_of = demo_lake
    engine = engine_factory()
    open_lake(settings, engine)
    at = as_of_time(engine, as_of, settings.brand_timezone)
    resolve_identity(engine, at, settings)
    engine.materialise(pq_.MEMBER_EVENTS, {"as_of": at}, "member_events")
    yield engine, at
    engine.close()


def test_a_small_brand_keeps_every_member_and_a_big_one_a_hashed_sample(
        demo_lake: tuple[Settings, dt.date], resolved: tuple[Engine, dt.datetime]
) -> None:
    settings, _ = demo_lake
    engine, at = resolved
    buyers = engine.scalar(BUYERS)
    assert settings.model_origin_members > buyers > 1_000
    whole = train_demand_model(engine, at, settings)
    assert whole.origin_members == buyers and len(whole.origins) == settings.model_origins
    narrow = settings.model_copy(update={"model_origin_members": buyers // 4,
                                         "model_origins": 2})
    sampled = train_demand_model(engine, at, narrow)
    assert sampled.origin_members == buyers // 4 and len(sampled.origins) == 2
    # two origins of a quarter of the members each: about a sixth of the rows of three
    # origins of them all
    share = sampled.model.trained_rows_ / whole.model.trained_rows_
    assert 0.1 < share < 0.25
    again = train_demand_model(engine, at, narrow)  # the same members, build after build
    assert again.model.trained_rows_ == sampled.model.trained_rows_
    assert {c: h.auc for c, h in again.headline.items()} == {
        c: h.auc for c, h in sampled.headline.items()}


def test_the_demo_s_appliances_are_durable_by_their_evidence(
        demo_lake: tuple[Settings, dt.date], resolved: tuple[Engine, dt.datetime]
) -> None:
    settings, _ = demo_lake
    engine, at = resolved
    feature_snapshot(engine, at, "_kinds", settings)
    kinds = engine.query("SELECT category, kind, kind_basis, typical_life FROM "
                         "typical_life_kinds ORDER BY category").to_pylist()
    assert {"washer", "refrigerator", "tv"} <= {k["category"] for k in kinds}
    assert {(k["kind"], k["kind_basis"]) for k in kinds} == {("durable", "appliance_evidence")}
    assert all(k["typical_life"] > 3 for k in kinds)  # years, not a re-buy cycle

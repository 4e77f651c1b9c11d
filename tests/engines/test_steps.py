"""A stage as declared steps, run by the engine: timed, failures named by their table
and query as written, scratch tables dropped after their last reader."""

from __future__ import annotations

import pytest

from shequn.engines.base import Engine
from shequn.engines.spark import Untranslatable, to_spark
from shequn.engines.steps import ScratchUnread, StepFailed, drops_after, tables_read
from shequn.sql import Step

PEOPLE = "SELECT * FROM (VALUES (1, 'Wang'), (2, '李')) t(id, name)"


def _exists(engine: Engine, table: str) -> bool:
    try:
        engine.columns(table)
    except Exception:  # each engine says "no such table" in its own words
        return False
    return True


def test_scratch_tables_are_dropped_after_their_last_reader(engine: Engine) -> None:
    steps = [Step("people", PEOPLE, scratch=True),
             Step("named", "SELECT id, name FROM people WHERE id >= $least", {"least": 1},
                  scratch=True),
             Step("counted", "WITH p AS (SELECT * FROM people) SELECT count(*) AS n FROM p"),
             Step("listed", "SELECT n, (SELECT max(name) FROM named) AS last FROM counted")]
    assert drops_after(steps) == [(), (), ("people",), ("named",)]
    engine.run(steps)
    assert engine.table("listed").to_pylist() == [{"n": 2, "last": "李"}]
    assert [_exists(engine, t) for t in ("people", "named", "counted", "listed")] == [
        False, False, True, True]
    assert list(engine.steps.seconds) == ["people", "named", "counted", "listed"]


def test_a_scratch_table_no_step_reads_is_refused_before_anything_runs(engine: Engine
                                                                       ) -> None:
    steps = [Step("people", PEOPLE), Step("unused", "SELECT id FROM people", scratch=True)]
    with pytest.raises(ScratchUnread, match="unused"):
        engine.run(steps)
    assert not _exists(engine, "people")


def test_a_failed_step_names_its_table_and_its_query_as_written(engine: Engine) -> None:
    engine.materialise(PEOPLE, None, "people")
    written = "SELECT stable_hash(name) AS h, no_such_column FROM people"
    with pytest.raises(StepFailed) as failed:
        engine.run([Step("hashed", written)])
    assert failed.value.table == "hashed"
    assert "'hashed'" in str(failed.value) and written in str(failed.value)
    assert "no_such_column" in str(failed.value).splitlines()[0]


def test_tables_read_leaves_out_a_query_s_own_ctes() -> None:
    sql = "WITH a AS (SELECT * FROM events) SELECT * FROM a JOIN members m USING (id)"
    assert tables_read(sql) == {"events", "members"}


def test_spark_refuses_by_name_what_it_cannot_translate() -> None:
    with pytest.raises(Untranslatable, match="hash: each engine hashes differently"):
        to_spark("SELECT hash(name) FROM people")
    with pytest.raises(Untranslatable, match="regexp_full_match"):
        to_spark("SELECT regexp_full_match(name, 'W.*') FROM people")
    assert "UNIX_MICROS" in to_spark("SELECT epoch_us(ts) FROM events")

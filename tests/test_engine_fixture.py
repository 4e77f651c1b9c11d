"""The ``engine`` fixture's rules (tests/conftest.py), run in an inner pytest with the
same conftest: which tests an ``--engine`` run keeps, and that an expected failure per
engine is typed and strict. No Spark is started: the inner runs only collect there."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

TESTS = '''
import pytest

def test_plain():
    pass

def test_on_the_engine(engine):
    assert engine.scalar("SELECT 1") == 1

@pytest.mark.spark
def test_needs_spark():
    pass
'''


@pytest.fixture
def inner(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest((Path(__file__).parent / "conftest.py").read_text(encoding="utf-8"))
    pytester.makeini("[pytest]\naddopts = --strict-markers\nmarkers =\n"
                     "    spark: x\n    xfail_engine: x\n")
    return pytester


def _collected(pytester: pytest.Pytester, *args: str) -> list[str]:
    result = pytester.runpytest_inprocess("--collect-only", "-q", *args)
    return sorted(line.split("::")[1] for line in result.outlines if "::" in line)


def test_a_run_keeps_the_tests_of_its_engines(inner: pytest.Pytester) -> None:
    inner.makepyfile(test_a=TESTS)
    assert _collected(inner) == ["test_on_the_engine[duckdb]", "test_plain"]
    assert _collected(inner, "--engine", "spark") == ["test_needs_spark",
                                                      "test_on_the_engine[spark]"]
    both = _collected(inner, "--engine", "duckdb,spark")
    assert both == ["test_needs_spark", "test_on_the_engine[duckdb]",
                    "test_on_the_engine[spark]", "test_plain"]
    # a stage test's Spark run carries the spark mark, so it can be left out by name
    assert _collected(inner, "--engine", "duckdb,spark", "-m", "not spark") == [
        "test_on_the_engine[duckdb]", "test_plain"]


def test_an_unknown_engine_stops_the_run(inner: pytest.Pytester) -> None:
    inner.makepyfile(test_a=TESTS)
    result = inner.runpytest_inprocess("--engine", "sprak")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown engine sprak; choose from duckdb, spark*"])


def test_an_expected_failure_is_typed_and_strict(inner: pytest.Pytester) -> None:
    inner.makepyfile(test_a='''
import pytest

@pytest.mark.xfail_engine("duckdb", raises=ZeroDivisionError, reason="divides")
def test_fails_as_expected(engine):
    1 / 0

@pytest.mark.xfail_engine("duckdb", raises=ZeroDivisionError, reason="was broken")
def test_started_passing(engine):
    pass

@pytest.mark.xfail_engine("duckdb", raises=ZeroDivisionError, reason="another error")
def test_fails_otherwise(engine):
    raise KeyError("x")

@pytest.mark.xfail_engine("spark", raises=ZeroDivisionError, reason="not this engine")
def test_other_engine_s_failure(engine):
    1 / 0
''')
    result = inner.runpytest_inprocess("-rxXf")
    result.assert_outcomes(xfailed=1, failed=3)
    result.stdout.fnmatch_lines(["XFAIL*test_fails_as_expected*",
                                 "FAILED*test_started_passing*XPASS(strict)*",
                                 "FAILED*test_fails_otherwise*KeyError*",
                                 "FAILED*test_other_engine_s_failure*ZeroDivisionError*"])


@pytest.mark.parametrize("mark", ['xfail_engine("duckdb", reason="no error named")',
                                  'xfail_engine("duckdb", raises=KeyError)',
                                  'xfail_engine("oracle", raises=KeyError, reason="x")'])
def test_an_expected_failure_must_name_its_error_reason_and_engine(
        inner: pytest.Pytester, mark: str) -> None:
    inner.makepyfile(test_a=f"import pytest\n\n@pytest.mark.{mark}\n"
                            "def test_x(engine):\n    pass\n")
    result = inner.runpytest_inprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*xfail_engine*"])

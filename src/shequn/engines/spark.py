"""The scale-out engine: the same operations as :class:`DuckDBEngine`, run by Spark.

Stages keep writing DuckDB SQL; :func:`to_spark` binds the ``$name`` parameters as
literals and has SQLGlot write Spark SQL, with the few differences between the two
engines declared below as data: :data:`SPARK_RULES` (pattern → replacement) and
:data:`UNTRANSLATABLE` (what no rule can translate, refused by name before running).
Materialised tables are written as Parquet under the engine's work folder and read
back as temporary views, so a long build never carries a growing lineage.
"""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.parquet as pq
import sqlglot
import sqlglot.expressions as exp

from shequn.engines.base import StepEngine, StepTimes

# DuckDB functions that Spark knows by another name (same arguments, same meaning).
FUNCTION_NAMES = {"LIST_POSITION": "ARRAY_POSITION", "LIST_HAS_ANY": "ARRAYS_OVERLAP",
                  "EPOCH_US": "UNIX_MICROS"}


def literal(value: Any) -> exp.Expression:
    """A bound parameter as a Spark literal."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    if isinstance(value, dt.datetime):
        utc = value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
        return exp.cast(exp.Literal.string(utc.isoformat(sep=" ")), "TIMESTAMP")
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    if isinstance(value, list | tuple):
        return exp.Array(expressions=[literal(v) for v in value])
    return exp.Literal.string(str(value))


def _bind(node: exp.Expression, params: Mapping[str, Any]) -> exp.Expression:
    if isinstance(node, exp.Placeholder | exp.Parameter):
        name = node.name
        if name not in params:
            raise KeyError(f"query parameter ${name} has no value")
        return literal(params[name])
    return node


def _ordered_list(node: exp.ArrayAgg) -> exp.Expression:
    """``list(v ORDER BY k1, k2 DESC)``: Spark's ``collect_list`` keeps no order, so the
    values travel in structs led by their sort keys (a descending key negated), are
    sorted, and are taken out again."""
    order = node.this
    keys = []
    for i, ordered in enumerate(order.expressions):
        key = ordered.this.copy()
        if ordered.args.get("desc"):
            key = exp.Neg(this=exp.paren(key))  # numeric keys only, as in our queries
        keys.append(exp.alias_(key, f"k{i}"))
    packed = exp.Anonymous(this="STRUCT", expressions=[*keys,
                                                        exp.alias_(order.this.copy(), "v")])
    collected = exp.Anonymous(this="COLLECT_LIST", expressions=[packed])
    ordered_list = exp.Anonymous(this="ARRAY_SORT", expressions=[collected])
    lam = exp.Lambda(this=exp.Dot(this=exp.to_identifier("x"), expression=exp.to_identifier("v")),
                     expressions=[exp.to_identifier("x")])
    return exp.Anonymous(this="TRANSFORM", expressions=[ordered_list, lam])


@dataclass(frozen=True)
class Rule:
    """One difference between the engines: a DuckDB construct (``matches``) and how
    Spark writes it (``replace``)."""

    name: str
    matches: Callable[[exp.Expression], bool]
    replace: Callable[[exp.Expression], exp.Expression]


def _renamed(duckdb_name: str, spark_name: str) -> Rule:
    return Rule(f"{duckdb_name.lower()} is Spark's {spark_name.lower()}",
                lambda n: isinstance(n, exp.Anonymous) and n.name.upper() == duckdb_name,
                lambda n: exp.Anonymous(this=spark_name, expressions=n.expressions))


def _elapsed_units(node: exp.Expression) -> exp.Expression:
    unit, start, end = node.expressions
    return exp.Anonymous(this="TIMESTAMPDIFF", expressions=[exp.var(unit.name.upper()),
                                                             start, end])


# The engines' differences, in one place: every node of a query that a rule matches is
# replaced by what the rule builds (the first rule that matches wins).
SPARK_RULES: tuple[Rule, ...] = (
    Rule("list(v ORDER BY k): collect_list keeps no order",
         lambda n: isinstance(n, exp.ArrayAgg) and isinstance(n.this, exp.Order),
         lambda n: _ordered_list(n)),  # type: ignore[arg-type]
    Rule("a decimal literal: DuckDB computes in doubles, Spark in decimals",
         lambda n: isinstance(n, exp.Literal) and not n.is_string and "." in n.this,
         lambda n: exp.cast(n.copy(), "DOUBLE")),
    Rule("date_sub(unit, start, end): DuckDB's whole units elapsed",
         lambda n: (isinstance(n, exp.Anonymous) and n.name.upper() == "DATE_SUB"
                    and len(n.expressions) == 3),
         _elapsed_units),
    Rule("to_days(n): an interval of n days",
         lambda n: isinstance(n, exp.ToDays),
         lambda n: exp.Anonymous(this="MAKE_DT_INTERVAL", expressions=[n.this])),
    Rule("a && b: the arrays overlap",
         lambda n: isinstance(n, exp.ArrayOverlaps),
         lambda n: exp.Anonymous(this="ARRAYS_OVERLAP", expressions=[n.this, n.expression])),
    *(_renamed(duckdb_name, spark_name) for duckdb_name, spark_name in FUNCTION_NAMES.items()),
)

# DuckDB functions no rule can give Spark: a query that calls one is refused before it
# runs, by the function's name and what to write instead.
UNTRANSLATABLE: dict[str, str] = {
    "HASH": "each engine hashes differently: write stable_hash (shequn.sql)",
    "MD5_NUMBER": "Spark has no such function: write digest_number (shequn.sql)",
    "JAROWINKLER_SIMILARITY": "DuckDB's counts bytes, not characters: use the engine's "
                              "text_distance names",
    "DAMERAU_LEVENSHTEIN": "Spark has no such function",
    "JACCARD": "Spark has no such function",
    "REGEXP_FULL_MATCH": "Spark has no such function: write regexp_matches anchored "
                         "with ^ and $",
    "LIST_REDUCE": "Spark's aggregate takes its arguments in another order",
    "READ_PARQUET": "Spark reads files through views: register them with view_parquet",
}


class Untranslatable(ValueError):
    """A query calls a DuckDB function Spark has no counterpart for."""


def _function_name(node: exp.Expr) -> str:
    if isinstance(node, exp.Anonymous):
        return node.name.upper()
    if isinstance(node, exp.Func):
        return node.sql_name()
    return ""


def refuse_untranslatable(tree: exp.Expr) -> None:
    refused = sorted({name for node in tree.walk()
                      if (name := _function_name(node)) in UNTRANSLATABLE})
    if refused:
        raise Untranslatable("; ".join(f"{name.lower()}: {UNTRANSLATABLE[name]}"
                                       for name in refused))


def _translate(node: exp.Expression) -> exp.Expression:
    for rule in SPARK_RULES:
        if rule.matches(node):
            return rule.replace(node)
    return node


def to_spark(sql: str, params: Mapping[str, Any] | None = None) -> str:
    """DuckDB SQL with ``$name`` parameters → one Spark SQL statement; a query calling
    a function in :data:`UNTRANSLATABLE` is refused (:class:`Untranslatable`)."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    refuse_untranslatable(tree)
    tree = tree.transform(lambda n: _bind(n, params or {})).transform(_translate)
    return tree.sql(dialect="spark")


def spark_session(master: str = "local[2]") -> Any:
    """The Spark session every engine works in: UTC, Splink's functions loaded. Starting
    one takes seconds, so callers that open many engines (the tests) start it once and
    hand each engine its own ``newSession()``: same context, separate views."""
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    session = (
        SparkSession.builder.master(master).appName("shequn")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "2g")
        # Splink's string-similarity functions (Jaro-Winkler...), shipped in its wheel
        .config("spark.jars", similarity_jar_location())
        .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    return session


class SparkEngine(StepEngine):
    """A local (or cluster) Spark session with the operations the build asks for."""

    name = "spark"
    # Spark's string distances count characters (Splink's jar adds Jaro-Winkler).
    text_distance: ClassVar[dict[str, str]] = {
        "levenshtein": "levenshtein",
        "jaro_winkler": "jaro_winkler"}
    dialect = "spark"
    in_process: ClassVar[bool] = False

    def __init__(self, master: str = "local[2]", work_dir: Path | None = None,
                 session: Any = None) -> None:
        """``session``: a session of :func:`spark_session` to work in (its temporary
        views become this engine's), else one is started on ``master``."""
        self._spark = session or spark_session(master)
        self._work = Path(work_dir or tempfile.mkdtemp(prefix="shequn-spark-"))
        self._work.mkdir(parents=True, exist_ok=True)
        self._serial = itertools.count()
        self.steps = StepTimes()

    @property
    def session(self) -> Any:
        return self._spark

    def close(self) -> None:
        shutil.rmtree(self._work, ignore_errors=True)

    def _df(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._spark.sql(to_spark(self.prepared(sql), params))

    def query(self, sql: str, params: Mapping[str, Any] | None = None,
              tables: Mapping[str, pa.Table] | None = None) -> pa.Table:
        for name, table in (tables or {}).items():
            self.view_arrow(name, table)
        try:
            return self._df(sql, params).toArrow()
        finally:
            for name in tables or {}:
                self.drop(name)

    def stream(self, sql: str, params: Mapping[str, Any] | None = None,
               rows: int = 250_000) -> Iterator[pa.RecordBatch]:
        # the driver collects the result as Arrow; batches keep the consumer's contract
        yield from self._df(sql, params).toArrow().to_batches(rows)

    def materialise(self, sql: str, params: Mapping[str, Any] | None, name: str) -> None:
        path = self._work / f"{name}-{next(self._serial)}"
        with self.steps.step(name):
            self._df(sql, params).write.parquet(str(path))
        self._spark.read.parquet(str(path)).createOrReplaceTempView(name)

    def scalar(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        row = self._df(sql, params).first()
        return row[0] if row else None

    def rename(self, old: str, new: str) -> None:
        self._spark.table(old).createOrReplaceTempView(new)
        self._spark.catalog.dropTempView(old)

    def view_parquet(self, name: str, files: Sequence[str]) -> None:
        self._spark.read.option("mergeSchema", "true").parquet(*files
                                                               ).createOrReplaceTempView(name)

    def view_arrow(self, name: str, table: pa.Table) -> None:
        path = self._work / f"{name}-{next(self._serial)}.parquet"
        pq.write_table(table, path)
        self._spark.read.parquet(str(path)).createOrReplaceTempView(name)

    def columns(self, name: str) -> list[str]:
        return list(self._spark.table(name).columns)

    def table(self, name: str) -> pa.Table:
        return self._spark.table(name).toArrow()

    def write_table(self, name: str, path: Path,
                    metadata: Mapping[str, str] | None = None) -> int:
        table = self.table(name)
        if metadata:
            table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                                   **metadata})
        pq.write_table(table, path, compression="zstd")
        return table.num_rows

    def drop(self, name: str) -> None:
        self._spark.catalog.dropTempView(name)

    def splink_api(self) -> Any:
        from splink import SparkAPI

        # Splink breaks its lineage by checkpoints, kept in the engine's work folder
        self._spark.sparkContext.setCheckpointDir(str(self._work / "checkpoints"))
        return SparkAPI(spark_session=self._spark)

"""The layering the architecture promises, checked on the source."""

import io
import re
import tokenize
import tomllib
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "shequn"
CJK = re.compile("[\u4e00-\u9fff]")


def _strings(path: Path) -> list[str]:
    """The string literals of a module (its comments may quote a name as an example)."""
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    return [t.string for t in tokens if t.type == tokenize.STRING]


def test_sql_modules_hold_no_words_for_people() -> None:
    sql_modules = [*SRC.glob("*/queries.py"), SRC / "sql.py"]
    assert [str(p.relative_to(SRC)) for p in sql_modules
            if any(CJK.search(s) for s in _strings(p))] == []


def test_category_and_topic_names_are_declared_once() -> None:
    # A mapping of a category or topic to its Chinese name, wherever it is written.
    declaration = re.compile(r"""["'](washer|health)["']\s*:\s*["'](洗衣机|健康)["']""")
    holders = [str(p.relative_to(SRC)) for p in SRC.rglob("*.py")
               if declaration.search(p.read_text(encoding="utf-8"))]
    assert holders == ["words.py"]


ROOT = SRC.parents[1]
# Libraries kept to the packages that name them in the table: import name -> written name.
LIBRARIES = {"duckdb": "DuckDB", "pyspark": "PySpark", "splink": "Splink",
             "lightgbm": "LightGBM", "sklearn": "scikit-learn", "typer": "Typer", "rich": "Rich",
             "deltalake": "deltalake"}


def _may_use() -> dict[str, str]:
    """ARCHITECTURE.md's Packages table: package -> its "may use" cell."""
    rows = {}
    for line in (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("| `shequn."):
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            rows[cells[0].strip("`")] = cells[-1]
    return rows


def _names(cell: str) -> set[str]:
    return {f"shequn.{n}" for n in re.findall(r"`([a-z_]+)`", cell)}


def _mentions(cell: str, library: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(library)}(?![\w-])", cell) is not None


def _contracts() -> list[dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["importlinter"]["contracts"]


def test_every_package_has_a_row() -> None:
    packages = {f"shequn.{p.parent.name}" for p in SRC.glob("*/__init__.py")}
    packages |= {f"shequn.{p.stem}" for p in SRC.glob("*.py") if p.stem != "__init__"}
    rows = _may_use()
    assert sorted(packages - set(rows)) == [], "add a row to ARCHITECTURE.md's Packages table"
    assert sorted(set(rows) - packages) == [], "a row names a package that is gone"
    for cell in rows.values():
        assert _names(cell) <= packages, cell


def test_import_contracts_are_the_may_use_column() -> None:
    rows = _may_use()
    protected = {tuple(c["protected_modules"]): sorted(c["allowed_importers"])
                 for c in _contracts() if c["type"] == "protected"}
    expected = {(p,): sorted(r for r, cell in rows.items() if p in _names(cell)) for p in rows}
    expected |= {(lib,): sorted(r for r, cell in rows.items() if _mentions(cell, written))
                 for lib, written in LIBRARIES.items()}
    assert protected == expected


def test_no_import_cycle_is_allowed() -> None:
    cycles = [c for c in _contracts() if c["type"] == "acyclic_siblings"]
    assert [(c["ancestors"], c.get("skip_descendants")) for c in cycles] == [(["shequn"], None)]

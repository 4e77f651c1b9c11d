"""The layering the architecture promises, checked on the source."""

import io
import re
import tokenize
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

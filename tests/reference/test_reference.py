import json
from pathlib import Path

import pytest

from shequn.lake.store import Lake
from shequn.reference.load import ReferenceError, load_reference, read_reference


def test_products_upsert_by_key_and_keep_extra_attributes(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    first = tmp_path / "p1.csv"
    first.write_text("product_id,category,price,self_cleaning,colour\n"
                     "WM-1,washer,1999,true,白\nRF-1,refrigerator,2999,false,银\n",
                     encoding="utf-8")
    second = tmp_path / "p2.csv"
    second.write_text("product_id,category,price,self_cleaning,colour\n"
                      "WM-1,washer,1799,yes,白\n", encoding="utf-8")
    load_reference(lake, "products", first, tmp_path / "q")
    report = load_reference(lake, "products", second, tmp_path / "q")
    assert (report.loaded, report.total) == (1, 2)
    rows = {r["product_id"]: r for r in read_reference(lake, "products").to_pylist()}
    assert rows["WM-1"]["price"] == 1799.0 and rows["WM-1"]["self_cleaning"] is True
    assert rows["RF-1"]["colour"] == "银"


def test_bad_reference_rows_are_quarantined_with_reasons(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("community_id,grade,name\nRC1,B,和谐小区\n,A,无编号\nRC3,,无等级\n",
                    encoding="utf-8")
    report = load_reference(Lake(tmp_path / "lake"), "communities", path, tmp_path / "q")
    assert (report.rows, report.loaded, report.rejected) == (3, 1, 2)
    lines = [json.loads(x) for x in (tmp_path / "q" / "reference-communities.jsonl")
             .read_text(encoding="utf-8").splitlines()]
    assert sorted(q["reason"] for q in lines) == ["community_id: missing", "grade: required"]


def test_a_file_without_the_key_column_is_refused_whole(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("name,city\n旗舰店,青岛\n", encoding="utf-8")
    with pytest.raises(ReferenceError, match="no 'store_id' column"):
        load_reference(Lake(tmp_path / "lake"), "stores", path, tmp_path / "q")

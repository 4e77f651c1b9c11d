"""Names are kept and looked up in one normalised form: however a name is spaced,
composed or cased, it is found."""

from __future__ import annotations

from shequn.serving.sections import name_key


def test_a_name_is_found_however_it_is_spaced_composed_or_cased() -> None:
    assert {name_key(n) for n in ("陈强琬", "陈 强琬", "陈\u3000强琬", " 陈强琬\t", "陈\n强琬")} \
        == {"陈强琬"}
    assert name_key("CHEN\u00a0QIANG") == name_key("Chen Qiang") == "chenqiang"
    assert name_key("Jose\u0301 Garci\u0301a") == name_key("José García") == "joségarcía"
    assert name_key("欧阳·娜娜") == "欧阳·娜娜"  # the middle dot is part of the name
    assert name_key(" \u3000 ") == ""  # no name: not kept

"""The sensitive-word filter and Chinese text normalisation, without a database."""

from __future__ import annotations

import subprocess
import sys

from hypothesis import given
from hypothesis import strategies as st

from shequn.community import text
from shequn.community.wordfilter import Word, WordFilter, judge, listed_form

WORDS = WordFilter([Word("代开发票", "block"), Word("加微信", "hold"), Word("casino", "block"),
                    Word("ass", "hold"), Word("she", "block"), Word("hers", "block")])


def found(body: str) -> list[str]:
    return [hit.word.word for hit in WORDS.find(body)]


def test_a_traditional_spelling_of_a_listed_simplified_word_is_caught() -> None:
    assert found("專業代開發票，價格優惠") == ["代开发票"]
    assert WordFilter([Word("發票", "block")]).find("代开发票")  # and the other way round


def test_full_width_case_and_characters_slipped_between_letters_are_seen_through() -> None:
    assert found("ＣＡＳＩＮＯ今晚开张") == ["casino"]
    assert found("Ca-Si-No") == ["casino"]
    assert found("代\u200b开 发·票") == ["代开发票"]  # zero-width space, space, middle dot
    assert found("加　微　信：abc123") == ["加微信"]  # ideographic spaces
    assert found("c\u0336a\u0336s\u0336i\u0336n\u0336o\u0336") == ["casino"]  # struck through


def test_innocent_words_are_not_caught() -> None:
    assert found("洗衣机开发票的流程是什么？") == []  # 开发票 alone is not 代开发票
    assert found("the class was classic") == []  # no 'ass' inside a Latin word
    assert found("occasional ushers") == []
    assert found("微信支付很方便") == []


def test_overlapping_words_are_all_found() -> None:
    assert found("she hers") == ["she", "hers"]
    assert WordFilter([Word("he", "hold"), Word("她们", "hold"), Word("她", "block")]
                      ).find("她们") != []


def test_judge_splits_blocking_from_holding_words_once_each() -> None:
    verdict = judge(WORDS, "加微信 加微信", None, "代開發票")
    assert verdict.blocked == ("代开发票",) and verdict.held == ("加微信",)
    assert judge(WORDS, "普通的帖子").blocked == ()


def test_a_word_of_nothing_but_punctuation_is_not_listed() -> None:
    assert listed_form(" !!! ") == ""
    assert len(WordFilter([Word("...", "block"), Word("刷单", "block")])) == 1


@given(st.text(max_size=200))
def test_any_text_is_searched_without_error_and_finds_only_listed_words(body: str) -> None:
    for hit in WORDS.find(body):
        assert hit.word.word in {"代开发票", "加微信", "casino", "ass", "she", "hers"}


def test_normalise_folds_script_width_and_case() -> None:
    assert text.normalise("洗衣機 ＡＢＣ Haier") == "洗衣机 abc haier"


def test_search_terms_are_the_same_in_either_script() -> None:
    assert text.search_terms("滾筒洗衣機噪音很大") == text.search_terms("滚筒洗衣机噪音很大")
    assert "洗衣机" in text.search_terms("滾筒洗衣機")
    assert "wi" in text.search_terms("ＷＩ-FI") and "的" not in text.search_terms("我的洗衣机")


def test_jieba_loads_quietly_once_per_process() -> None:
    program = ("from shequn.community import text; text.search_terms('洗衣机'); "
               "first = text.tokenizer(); text.search_terms('冰箱'); "
               "assert text.tokenizer() is first")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          check=True)
    assert done.stderr == ""

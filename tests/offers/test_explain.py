"""An offer's reasons in English and 中文, from the wording declared in shequn.words."""

from shequn.offers.explain import offer_reason

OFFER = {"product_id": "WM-MH", "tier_fit": 2, "interest_fit": 2, "tier": "mid",
         "income_band": "middle", "suits_interest": "health", "feature": "免清洗 self-cleaning"}


def test_both_reasons_in_both_languages() -> None:
    assert offer_reason(OFFER, "en") == (
        "a mid model for a middle-income home; "
        "with 免清洗 self-cleaning, as she or he reads about health")
    assert offer_reason(OFFER, "zh") == ("中端档产品，匹配中等收入家庭; "
                                         "具备免清洗 self-cleaning功能，契合其关注健康的兴趣")


def test_names_without_chinese_words_are_shown_as_written() -> None:
    offer = {**OFFER, "tier": "flagship", "suits_interest": "fishing"}
    zh = offer_reason(offer, "zh")
    assert "flagship档产品" in zh and "关注fishing的兴趣" in zh


def test_no_fit_and_no_product() -> None:
    assert offer_reason({**OFFER, "tier_fit": 0, "interest_fit": 1}, "zh") == "该品类中最匹配的产品"
    assert offer_reason({"product_id": None}, "en").startswith("clear demand for the category")

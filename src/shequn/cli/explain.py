"""Why a build has no scores or offers, and which tags it skipped, in words."""

from __future__ import annotations

from shequn.services.builds import BuildReport
from shequn.settings import Settings


def explain_empty(report: BuildReport, settings: Settings) -> list[str]:
    """Lines for the text output of ``shequn build``: nothing when all is there."""
    lines: list[str] = []
    tables = report.tables
    if report.identity.get("members", 0) and not tables.get("scores", 0):
        if not tables.get("appliances", 0):
            lines.append("No demand scores: scores are per product category, and no "
                         "purchase up to the as-of date names one (give purchases a "
                         "`category` column, or a `product_id` of the products reference table).")
        else:
            lines.append("No demand scores: no member × category row came out of the "
                         "rules or the models (see `models` in `shequn build --json`).")
        learned = report.models.get("learned", {})
        if learned and not learned.get("trained"):
            lines.append(f"Learned demand model not trained: {learned.get('why', '?')}")
    if tables.get("scores", 0) and not tables.get("offers", 0):
        offers = report.offers
        lines.append(
            "No offers: no member's demand reached the offer thresholds (rules score "
            f"≥ {settings.offer_score_threshold} or probability ≥ "
            f"{settings.offer_probability_threshold:g}) with marketing consent, outside "
            f"the frequency cap ({offers.get('capped_members', 0):,} members capped, "
            f"{offers.get('no_consent_members', 0):,} without consent).")
    for kind in ("tags", "segments"):
        for name, why in report.skipped.get(kind, {}).items():
            lines.append(f"{kind[:-1].capitalize()} {name} skipped: {why}.")
    return lines

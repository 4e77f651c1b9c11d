"""Appliances through their lives: purchases, repairs, device reports, replacements.

Each household-category slot is simulated month by month. Repairs grow with age; the
hidden replacement hazard grows with age past the category's usual life, with repairs
in the last twelve months and with income. Nothing downstream sees these parameters:
the product has to find the people with a need from the events alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shequn.demo.catalog import CATEGORIES, CATEGORY_NAMES, Catalogue
from shequn.demo.population import People

LIFE = np.array([CATEGORIES[c][2] for c in CATEGORY_NAMES])
OWN = np.array([CATEGORIES[c][0] for c in CATEGORY_NAMES])
REPAIR = np.array([CATEGORIES[c][1] for c in CATEGORY_NAMES])
IOT_SHARE = 0.4


@dataclass
class ApplianceEvents:
    """Flat arrays, one entry per event; ``kind`` 0=purchase 1=repair 2=device error."""

    kind: np.ndarray
    month: np.ndarray  # month index; negative = before the simulated window
    household: np.ndarray  # chunk-local household index
    category: np.ndarray  # index into CATEGORY_NAMES
    generation: np.ndarray  # which appliance of the slot (serial suffix)
    iot: np.ndarray  # bool: appliance reports its state


def hazard_logit(age_years: np.ndarray, life: np.ndarray, recent_repairs: np.ndarray,
                 income: np.ndarray) -> np.ndarray:
    return (-5.0 + 0.5 * (age_years - life) + 0.9 * recent_repairs
            + 0.35 * (income == 2) - 0.3 * (income == 0))


def simulate(rng: np.random.Generator, people: People, months: int,
             skip_slot: tuple[int, int] | None = None) -> ApplianceEvents:
    n_h = len(people.h_id)
    n_c = len(CATEGORY_NAMES)
    shape = (n_h, n_c)
    owned = rng.random(shape) < OWN
    age = (rng.random(shape) * LIFE * 12 * 1.3).astype(np.int64)
    if skip_slot is not None:
        owned[skip_slot] = False
    allowed = np.ones(shape, dtype=bool)
    if skip_slot is not None:
        allowed[skip_slot] = False
    gen = np.zeros(shape, dtype=np.int64)
    iot = rng.random(shape) < IOT_SHARE * 0.3
    # repairs in each of the last twelve months, and their running sum
    ring = np.zeros((12, *shape), dtype=np.int8)
    recent = np.zeros(shape, dtype=np.int64)
    income = np.broadcast_to(people.h_income[:, None], shape)
    out: dict[str, list[np.ndarray]] = {k: [] for k in ("kind", "month", "h", "c", "gen", "iot")}

    def emit(kind: int, mask: np.ndarray, month: np.ndarray | int) -> None:
        h, c = np.nonzero(mask)
        out["kind"].append(np.full(len(h), kind))
        out["month"].append(np.broadcast_to(month, mask.shape)[h, c].copy()
                            if isinstance(month, np.ndarray) else np.full(len(h), month))
        out["h"].append(h)
        out["c"].append(c)
        out["gen"].append(gen[h, c].copy())
        out["iot"].append(iot[h, c].copy())

    emit(0, owned, -age)  # the appliances bought before the window opens
    for m in range(months):
        years = age / 12.0
        p_repair = np.minimum(0.5 * REPAIR * np.exp(0.18 * years), 0.05)
        repaired = owned & (rng.random(shape) < p_repair)
        if repaired.any():
            erring = repaired & iot & (rng.random(shape) < 0.7)
            emit(2, erring, m)
            emit(1, repaired, m)
        recent += repaired
        recent -= ring[m % 12]
        ring[m % 12] = repaired
        p_replace = 1 / (1 + np.exp(-hazard_logit(years, LIFE, recent, income)))
        replaced = owned & allowed & (rng.random(shape) < p_replace)
        acquired = ~owned & allowed & (rng.random(shape) < 0.002)
        bought = replaced | acquired
        if bought.any():
            gen[bought] += 1
            iot[bought] = rng.random(int(bought.sum())) < IOT_SHARE
            emit(0, bought, m)
            age[bought] = 0
            ring[:, bought] = 0
            recent[bought] = 0
            owned |= bought
        age[owned] += 1
    cat = lambda k: np.concatenate(out[k]) if out[k] else np.zeros(0, np.int64)  # noqa: E731
    return ApplianceEvents(cat("kind"), cat("month"), cat("h"), cat("c"), cat("gen"),
                           cat("iot").astype(bool))


def choose_products(rng: np.random.Generator, people: People, buyer: np.ndarray,
                    category: np.ndarray, catalogue: Catalogue) -> np.ndarray:
    """Index into the products table: tier follows income, the health feature follows
    the buyer's interest in health (the preference an offer has to discover)."""
    income = people.h_income[people.household[buyer]]
    u = rng.random(len(buyer))
    tier = np.where(income == 2, np.where(u < 0.6, 2, 1),
                    np.where(income == 1, np.where(u < 0.7, 1, np.where(u < 0.85, 0, 2)),
                             np.where(u < 0.75, 0, 1)))
    health_w = people.interests[buyer, 0]
    wants_health = rng.random(len(buyer)) < np.clip(0.1 + 2.2 * health_w, 0, 0.95)
    tiers = ("entry", "mid", "premium")
    lookup = catalogue.product_index
    return np.array([lookup[(CATEGORY_NAMES[c], tiers[t], bool(h))] for c, t, h in
                     zip(category.tolist(), tier.tolist(), wants_health.tolist(), strict=True)],
                    dtype=np.int64)

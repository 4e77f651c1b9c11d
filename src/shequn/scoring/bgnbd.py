"""BG/NBD: how many more purchases a customer will make (Fader, Hardie & Lee, 2005).

While "alive" a customer buys at a Poisson rate λ (gamma-distributed across customers,
shape r, rate α); after each purchase she drops out with probability p (beta-distributed,
a, b). Fitted by maximum likelihood on each customer's repeat purchases ``x``, the time of
the last one ``t_x`` and the length of observation ``T`` (all in the same unit, weeks
here). Identical (x, t_x, T) rows may be passed once with a weight: at ten million members
the fit then costs what the distinct histories cost; and a fit on a :func:`thin` spread of
them is a close start (``start=``) from which the full fit needs few steps.

Pure: arrays in, numbers out. Conventions of scikit-learn: learned attributes end in ``_``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize
from scipy.special import digamma, gammaln, hyp2f1

Array = npt.NDArray[np.float64]
LOG_BOUND = 12.0  # the fit's log-parameters stay within ±this
NAMES = ("r", "alpha", "a", "b")


def _as_arrays(*values: npt.ArrayLike) -> list[Array]:
    return [np.asarray(v, dtype=np.float64) for v in values]


def _tails(params: Array, x: Array, t_x: Array, T: Array) -> tuple[Array, Array]:
    """The two terms of the likelihood that the observation window decides: still alive
    at T, or dropped out after the last purchase (impossible without a repeat)."""
    r, alpha, a, b = params
    alive = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        gone = np.where(x > 0, np.log(a) - np.log(b + x - 1) - (r + x) * np.log(alpha + t_x),
                        -np.inf)
    return alive, gone


def _head(params: Array, x: Array) -> Array:
    r, alpha, a, b = params
    return (gammaln(r + x) - gammaln(r) + r * np.log(alpha)
            + gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x))


def log_likelihood(params: Array, x: Array, t_x: Array, T: Array) -> Array:
    """Each customer's log-likelihood under (r, α, a, b) (equation 6 of the paper)."""
    alive, gone = _tails(params, x, t_x, T)
    return np.asarray(_head(params, x) + np.logaddexp(alive, gone), dtype=np.float64)


def thin(x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike, weights: npt.ArrayLike,
         rows: int = 20_000) -> tuple[Array, Array, Array, Array]:
    """Every k-th of the distinct histories (taken in their sorted order, so an even
    spread of x, t_x and T), at most ``rows``: a fit on them starts the full fit close to
    its optimum."""
    xs, txs, Ts, w = _as_arrays(x, t_x, T, weights)
    step = max(1, -(-len(xs) // rows))
    return xs[::step], txs[::step], Ts[::step], w[::step]


def log_likelihood_gradient(params: Array, x: Array, t_x: Array, T: Array) -> Array:
    """Each customer's gradient of :func:`log_likelihood` in (r, α, a, b), one row each:
    with it the optimiser needs one evaluation a step instead of five."""
    return _value_and_gradient(params, x, t_x, T)[1]


def _value_and_gradient(params: Array, x: Array, t_x: Array, T: Array
                        ) -> tuple[Array, Array]:
    r, alpha, a, b = params
    repeat = x > 0
    alive, gone = _tails(params, x, t_x, T)
    total = np.logaddexp(alive, gone)
    with np.errstate(divide="ignore", invalid="ignore"):
        w_alive, w_gone = np.exp(alive - total), np.where(repeat, np.exp(gone - total), 0.0)
        after_last = np.where(repeat, 1 / (b + x - 1), 0.0)
    d_r = digamma(r + x) - digamma(r) + np.log(alpha) - w_alive * np.log(alpha + T) \
        - w_gone * np.log(alpha + t_x)
    d_alpha = r / alpha - (r + x) * (w_alive / (alpha + T) + w_gone / (alpha + t_x))
    shared = digamma(a + b) - digamma(a + b + x)
    d_a = shared + w_gone / a
    d_b = shared + digamma(b + x) - digamma(b) - w_gone * after_last
    value = _head(params, x) + total
    return value, np.column_stack([d_r, d_alpha, d_a, d_b])


@dataclass
class BetaGeometricNBD:
    """The BG/NBD model. ``fit`` learns ``r_``, ``alpha_``, ``a_``, ``b_`` and
    ``log_likelihood_`` (the total over customers, weights counted)."""

    r_: float = float("nan")
    alpha_: float = float("nan")
    a_: float = float("nan")
    b_: float = float("nan")
    log_likelihood_: float = float("nan")
    customers_: float = 0.0
    at_bound_: tuple[str, ...] = ()  # parameters the fit pushed to its bounds

    def fit(self, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike,
            weights: npt.ArrayLike | None = None,
            start: npt.ArrayLike | None = None) -> BetaGeometricNBD:
        """Maximum likelihood from ``start`` (r, α, a, b; by default all 1)."""
        xs, txs, Ts = _as_arrays(x, t_x, T)
        w = np.ones_like(xs) if weights is None else _as_arrays(weights)[0]
        if len(xs) == 0 or w.sum() == 0:
            raise ValueError("BG/NBD needs at least one customer with a purchase")
        if np.any(txs > Ts) or np.any(xs < 0):
            raise ValueError("BG/NBD needs 0 <= t_x <= T and x >= 0 for every customer")
        scale = max(float(Ts.max()), 1e-9)  # fit on unit time, for a well-scaled α

        unit_tx, unit_T = txs / scale, Ts / scale

        def loss(log_params: Array) -> tuple[float, Array]:
            params = np.exp(log_params)
            value, gradient = _value_and_gradient(params, xs, unit_tx, unit_T)
            return -float(np.dot(w, value)), -(w @ gradient) * params

        # log-parameters, bounded so that a degenerate history (nobody ever drops out)
        # stops at a huge b instead of wandering off to infinity
        initial = np.zeros(4) if start is None else np.log(
            _as_arrays(start)[0] * np.array([1.0, 1 / scale, 1.0, 1.0]))
        result = minimize(loss, np.clip(initial, -12.0, 12.0), jac=True, method="L-BFGS-B",
                          bounds=[(-LOG_BOUND, LOG_BOUND)] * 4,
                          options={"ftol": 1e-10, "gtol": 1e-6, "maxiter": 2_000})
        r, alpha, a, b = np.exp(result.x)
        self.r_, self.alpha_, self.a_, self.b_ = float(r), float(alpha * scale), float(a), \
            float(b)
        self.log_likelihood_ = float(np.dot(w, log_likelihood(self.params_, xs, txs, Ts)))
        self.customers_ = float(w.sum())
        self.at_bound_ = tuple(n for n, v in zip(NAMES, result.x, strict=True)
                               if abs(v) >= LOG_BOUND - 1e-3)
        return self

    def degenerate(self, predictions: npt.ArrayLike | None = None) -> str | None:
        """Why the fit cannot be trusted (a parameter at its bound, a number that is not
        finite, predictions that are not), or None for a sound fit."""
        if not np.all(np.isfinite(self.params_)) or not np.isfinite(self.log_likelihood_):
            return "the fit did not converge to finite parameters"
        if (self.at_bound_ and "b" not in self.at_bound_) or len(self.at_bound_) > 1:
            return ("the purchase histories do not identify the model: "
                    + ", ".join(self.at_bound_) + " ran to the edge of the range the fit allows")
        if predictions is not None and not np.all(np.isfinite(np.asarray(predictions))):
            return "its expected purchases are not finite numbers"
        return None

    @property
    def params_(self) -> Array:
        return np.array([self.r_, self.alpha_, self.a_, self.b_])

    def expected_purchases(self, t: float, x: npt.ArrayLike, t_x: npt.ArrayLike,
                           T: npt.ArrayLike) -> Array:
        """Expected purchases in (T, T + t] for customers with history (x, t_x, T)
        (equation 10 of the paper)."""
        xs, txs, Ts = _as_arrays(x, t_x, T)
        r, alpha, a, b = self.params_
        z = t / (alpha + Ts + t)
        head = (a + b + xs - 1) / (a - 1)
        tail = 1 - ((alpha + Ts) / (alpha + Ts + t)) ** (r + xs) * hyp2f1(
            r + xs, b + xs, a + b + xs - 1, z)
        return np.asarray(head * tail / (1 + self._dropout_odds(xs, txs, Ts)),
                          dtype=np.float64)

    def p_alive(self, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike) -> Array:
        """The probability that each customer has not yet dropped out."""
        xs, txs, Ts = _as_arrays(x, t_x, T)
        return np.asarray(1 / (1 + self._dropout_odds(xs, txs, Ts)), dtype=np.float64)

    def _dropout_odds(self, xs: Array, txs: Array, Ts: Array) -> Array:
        """Odds that a customer has dropped out (zero for one who never bought again)."""
        r, alpha, a, b = self.params_
        with np.errstate(divide="ignore", invalid="ignore"):
            odds = np.where(xs > 0, a / (b + xs - 1)
                            * ((alpha + Ts) / (alpha + txs)) ** (r + xs), 0.0)
        return np.asarray(odds, dtype=np.float64)

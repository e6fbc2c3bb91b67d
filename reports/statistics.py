"""Exact statistics for reports. Pure functions on counts and sums: no ORM, no scipy.

Everything here takes plain numbers so it can be checked by hand and against scipy in tests.
Two-sided tests, 95% by default. A function returns None where an estimate does not exist
(e.g. a rate with no members, a relative uplift over a zero baseline) rather than inventing one.
"""

import math
from dataclasses import dataclass
from statistics import NormalDist

_NORMAL = NormalDist()
_EPS = 1e-15
_MAX_ITER = 500


def z_for(confidence=0.95):
    """The two-sided normal quantile, e.g. 1.959964 for 95%."""
    return _NORMAL.inv_cdf(0.5 + confidence / 2)


def normal_sf(z):
    return _NORMAL.cdf(-z)


# --- Special functions --------------------------------------------------------------------------

def _gamma_series(a, x):
    """Regularized lower incomplete gamma P(a, x) by its series (converges fast for x < a + 1)."""
    term = total = 1.0 / a
    denom = a
    for _ in range(_MAX_ITER):
        denom += 1
        term *= x / denom
        total += term
        if abs(term) < abs(total) * _EPS:
            break
    return total * math.exp(-x + a * math.log(x) - math.lgamma(a))


def _gamma_continued_fraction(a, x):
    """Regularized upper incomplete gamma Q(a, x) by Lentz's continued fraction (x >= a + 1)."""
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, _MAX_ITER):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < _EPS:
            break
    return math.exp(-x + a * math.log(x) - math.lgamma(a)) * h


def gamma_q(a, x):
    """Regularized upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a)."""
    if a <= 0:
        raise ValueError("a must be positive")
    if x <= 0:
        return 1.0
    if x < a + 1:
        return 1.0 - _gamma_series(a, x)
    return _gamma_continued_fraction(a, x)


def chi2_sf(x, dof):
    """P(X >= x) for X ~ χ²(dof): the p-value of a chi-squared statistic."""
    return gamma_q(dof / 2, x / 2)


def _beta_continued_fraction(a, b, x):
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1, a - 1
    c = 1.0
    d = 1 - qab * x / qap
    d = tiny if abs(d) < tiny else d
    d = 1 / d
    h = d
    for m in range(1, _MAX_ITER):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 + aa * d
        d = tiny if abs(d) < tiny else d
        c = 1 + aa / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 + aa * d
        d = tiny if abs(d) < tiny else d
        c = 1 + aa / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < _EPS:
            break
    return h


def beta_inc(a, b, x):
    """Regularized incomplete beta function I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    # The continued fraction converges fast only on one side of the mean; use symmetry on the other.
    if x < (a + 1) / (a + b + 2):
        return front * _beta_continued_fraction(a, b, x) / a
    return 1 - front * _beta_continued_fraction(b, a, 1 - x) / b


def t_sf(t, dof):
    """P(T >= t) for Student's t with `dof` degrees of freedom."""
    tail = 0.5 * beta_inc(dof / 2, 0.5, dof / (dof + t * t))
    return tail if t >= 0 else 1 - tail


def t_pdf(t, dof):
    return math.exp(math.lgamma((dof + 1) / 2) - math.lgamma(dof / 2) - 0.5 * math.log(dof * math.pi)
                    - (dof + 1) / 2 * math.log1p(t * t / dof))


def t_quantile(p, dof):
    """The p-quantile of Student's t: Newton's method from the normal quantile, kept inside a
    shrinking bracket (bisection when a step would leave it), so it converges for any dof."""
    if not 0 < p < 1:
        raise ValueError("p must be in (0, 1)")
    lo, hi = -1e8, 1e8
    x = _NORMAL.inv_cdf(p)
    for _ in range(200):
        error = (1 - t_sf(x, dof)) - p
        if error < 0:
            lo = x
        else:
            hi = x
        density = t_pdf(x, dof)
        step = error / density if density > 0 else math.inf
        candidate = x - step
        if not lo < candidate < hi:
            candidate = (lo + hi) / 2
        if abs(candidate - x) < 1e-13 * max(1.0, abs(x)):
            return candidate
        x = candidate
    return x


# --- Proportions --------------------------------------------------------------------------------

def rate(k, n):
    return k / n if n else None


def wilson_interval(k, n, confidence=0.95):
    """Wilson score interval for k successes in n trials: sane at 0, n and small n."""
    if n <= 0:
        return None
    if not 0 <= k <= n:
        raise ValueError("need 0 <= k <= n")
    z = z_for(confidence)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # At k = 0 or k = n the exact bound is 0 or 1; clamp away floating-point dust.
    return (0.0 if k == 0 else max(0.0, centre - half), 1.0 if k == n else min(1.0, centre + half))


@dataclass(frozen=True)
class ZTest:
    z: float
    p_value: float


def two_proportion_z_test(k1, n1, k2, n2):
    """Pooled two-proportion z-test of p2 vs p1, two-sided. None when it is undefined."""
    if n1 <= 0 or n2 <= 0:
        return None
    pooled = (k1 + k2) / (n1 + n2)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if variance == 0:
        # Both groups all-converted or none-converted: identical, nothing to test.
        return ZTest(0.0, 1.0)
    z = (k2 / n2 - k1 / n1) / math.sqrt(variance)
    return ZTest(z, min(1.0, 2 * normal_sf(abs(z))))


@dataclass(frozen=True)
class ChiSquared:
    statistic: float
    dof: int
    p_value: float


def chi_squared_independence(table):
    """Pearson's chi-squared test of independence (no continuity correction) on an r×c table.

    For A/B/n: one row per variant, columns [converted, not converted]. Rows or columns that
    are all zero carry no information and are dropped (as scipy would refuse them).
    """
    rows = [list(map(float, row)) for row in table if sum(row) > 0]
    if not rows:
        return None
    columns = [j for j in range(len(rows[0])) if sum(row[j] for row in rows) > 0]
    rows = [[row[j] for j in columns] for row in rows]
    r, c = len(rows), len(columns)
    if r < 2 or c < 2:
        return None
    total = sum(map(sum, rows))
    row_sums = [sum(row) for row in rows]
    col_sums = [sum(row[j] for row in rows) for j in range(c)]
    statistic = 0.0
    for i in range(r):
        for j in range(c):
            expected = row_sums[i] * col_sums[j] / total
            statistic += (rows[i][j] - expected) ** 2 / expected
    dof = (r - 1) * (c - 1)
    return ChiSquared(statistic, dof, chi2_sf(statistic, dof))


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float


def absolute_uplift(k1, n1, k2, n2, confidence=0.95):
    """p2 − p1 with the unpooled (Wald) interval for a difference of proportions."""
    if n1 <= 0 or n2 <= 0:
        return None
    p1, p2 = k1 / n1, k2 / n2
    half = z_for(confidence) * math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    diff = p2 - p1
    return Estimate(diff, diff - half, diff + half)


def relative_uplift(k1, n1, k2, n2, confidence=0.95):
    """p2 / p1 − 1 with the log risk-ratio (Katz) interval; None when a group has no conversions."""
    if n1 <= 0 or n2 <= 0 or k1 <= 0 or k2 <= 0:
        return None
    ratio = (k2 / n2) / (k1 / n1)
    se = math.sqrt(1 / k2 - 1 / n2 + 1 / k1 - 1 / n1)
    z = z_for(confidence)
    return Estimate(ratio - 1, ratio * math.exp(-z * se) - 1, ratio * math.exp(z * se) - 1)


def holm_adjust(p_values):
    """Holm–Bonferroni adjusted p-values (same order as given): many variants, one family."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


# --- Means (revenue per member) -----------------------------------------------------------------

@dataclass(frozen=True)
class MeanEstimate:
    n: int
    mean: float
    sd: float
    low: float
    high: float


def mean_interval(n, total, total_squares, confidence=0.95):
    """Mean with a Student-t interval from n, Σx and Σx² (what SQL aggregates give cheaply)."""
    if n <= 0:
        return None
    mean = total / n
    if n == 1:
        return MeanEstimate(1, mean, 0.0, mean, mean)
    # Σ(x − mean)² from the raw sums; clamp the tiny negative that rounding can leave.
    variance = max(0.0, (total_squares - n * mean * mean) / (n - 1))
    sd = math.sqrt(variance)
    half = t_quantile(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n)
    return MeanEstimate(n, mean, sd, mean - half, mean + half)


def mean_difference(a, b, confidence=0.95):
    """b.mean − a.mean with a Welch interval (Welch–Satterthwaite degrees of freedom)."""
    if a is None or b is None or a.n < 2 or b.n < 2:
        return None
    va, vb = a.sd ** 2 / a.n, b.sd ** 2 / b.n
    diff = b.mean - a.mean
    if va + vb == 0:
        return Estimate(diff, diff, diff)
    dof = (va + vb) ** 2 / (va ** 2 / (a.n - 1) + vb ** 2 / (b.n - 1))
    half = t_quantile(0.5 + confidence / 2, dof) * math.sqrt(va + vb)
    return Estimate(diff, diff - half, diff + half)


# --- Holdout ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class IncrementalLift:
    absolute: Estimate
    relative: Estimate | None
    incremental_conversions: float


def incremental_lift(holdout_k, holdout_n, treated_k, treated_n, confidence=0.95):
    """What the messages added over a holdout: rate difference, relative lift and the number of
    treated members' conversions that would not have happened without them."""
    absolute = absolute_uplift(holdout_k, holdout_n, treated_k, treated_n, confidence)
    if absolute is None:
        return None
    relative = relative_uplift(holdout_k, holdout_n, treated_k, treated_n, confidence)
    return IncrementalLift(absolute, relative, absolute.value * treated_n)


# --- Minimum sample -----------------------------------------------------------------------------

@dataclass(frozen=True)
class SampleRule:
    """Do not read a test before every arm has this many members and outcomes of each kind.

    The outcome floor keeps the normal approximation behind the z- and χ²-tests honest
    (the usual n·p ≥ 10 and n·(1 − p) ≥ 10 rule of thumb).
    """

    min_members: int = 100
    min_outcomes: int = 10

    def shortfall(self, k, n):
        """Why (k, n) is not enough yet, as a dict of what is missing; empty when it is enough."""
        missing = {}
        if n < self.min_members:
            missing["members"] = self.min_members - n
        if k < self.min_outcomes:
            missing["conversions"] = self.min_outcomes - k
        if n - k < self.min_outcomes:
            missing["non_conversions"] = self.min_outcomes - (n - k)
        return missing


# --- Always-valid sequential test ---------------------------------------------------------------

@dataclass(frozen=True)
class Sequential:
    difference: float
    p_value: float
    low: float
    high: float


def sequential_test(k1, n1, k2, n2, alpha=0.05, tau=0.05):
    """Mixture sequential probability ratio test for p2 − p1 (Johari, Pekelis & Walsh 2017).

    With a normal mixing distribution N(0, τ²) on the difference θ and the plug-in variance V of
    θ̂, the likelihood ratio against θ = 0 is
        Λ = sqrt(V / (V + τ²)) · exp(θ̂² τ² / (2 V (V + τ²))).
    Under the null Λ is (asymptotically) a martingale with mean 1, so by Ville's inequality
    1/Λ is a p-value that stays valid however often it is looked at, and the set of θ with
    Λ(θ) < 1/α is a confidence sequence. Callers that act on the first crossing keep the
    false-winner rate at α even when the numbers are watched daily.
    """
    if n1 <= 0 or n2 <= 0:
        return None
    p1, p2 = k1 / n1, k2 / n2
    variance = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
    diff = p2 - p1
    if variance == 0:
        return Sequential(diff, 1.0, -1.0, 1.0)
    t2 = tau * tau
    log_lambda = 0.5 * math.log(variance / (variance + t2)) + diff * diff * t2 / (2 * variance * (variance + t2))
    p_value = min(1.0, math.exp(-log_lambda))
    half = math.sqrt(variance * (variance + t2) / t2 * (2 * math.log(1 / alpha) + math.log((variance + t2) / variance)))
    return Sequential(diff, p_value, max(-1.0, diff - half), min(1.0, diff + half))

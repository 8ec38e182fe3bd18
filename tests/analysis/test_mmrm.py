"""The MMRM fit (analysis/mmrm.py) against independent computations.

- Compound symmetry and random intercept and slope: the same REML/ML likelihood as statsmodels
  MixedLM (random intercept; random intercept and slope), so both must find the same fixed
  effects and variance components (statsmodels 0.14 docs, MixedLM; Lindstrom & Bates 1988).
  The model-based Cov(beta) = (X'V^-1X)^-1 is rebuilt here, subject by subject, from
  statsmodels' variance components.
- Unstructured, complete balanced data, mean saturated by visit (every term interacts with
  visit): the GLS estimate equals ordinary least squares visit by visit whatever the
  covariance (Zellner 1962, JASA 57:348, seemingly unrelated regressions with identical
  regressors; Kruskal 1968), the ML covariance is E'E/N and the REML covariance E'E/(N - q)
  (the multivariate linear model, Anderson 2003, An Introduction to Multivariate Statistical
  Analysis, 3rd ed., 8.2), so the MMRM treatment effect at a visit, its SE and — as
  var(Sigma_vv) = 2 Sigma_vv^2 / (N - q) — its Satterthwaite df N - q equal the ANCOVA at that
  visit.
- The analytic gradient against central differences of the log-likelihood; Durbin-Levinson
  against AR(1) autocorrelations.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from submission_kit.analysis import mmrm


def _long(n: int = 200, t: int = 5, seed: int = 1, slope_sd: float = 0.0, drop: float = 0.2):
    """Two arms, random intercept (SD 2) and optional random slope, 20% missing at random."""
    rng = np.random.default_rng(seed)
    subject = np.repeat(np.arange(n), t)
    visit = np.tile(np.arange(t), n)
    arm = (np.arange(n) % 2)[subject]
    y = (1 + 0.5 * visit - 0.3 * arm * visit + rng.normal(0, 2, n)[subject]
         + rng.normal(0, slope_sd, n)[subject] * visit + rng.normal(0, 1, n * t))
    keep = rng.random(n * t) > drop
    x = np.column_stack([np.ones(n * t), arm, visit, arm * visit]).astype(float)
    return y[keep], x[keep], subject[keep], visit[keep]


def _mixedlm(y, x, subject, exog_re=None, reml=True):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels warns about its own convergence checks
        model = sm.MixedLM(y, x, groups=subject, exog_re=exog_re)
        return model.fit(reml=reml, method=["bfgs"], gtol=1e-12, maxiter=5000)


def _gls_cov(x, subject, v_of):
    """(sum_i X_i' V_i^-1 X_i)^-1, subject by subject."""
    p = x.shape[1]
    info = np.zeros((p, p))
    for s in np.unique(subject):
        xi = x[subject == s]
        info += xi.T @ np.linalg.solve(v_of(s), xi)
    return np.linalg.inv(info)


@pytest.mark.parametrize("reml", [True, False])
def test_compound_symmetry_equals_statsmodels_random_intercept(reml):
    y, x, subject, visit = _long()
    fit = mmrm.fit_mmrm(y, x, subject, visit, np.arange(5), list("abcd"), ("cs",), reml=reml)
    ref = _mixedlm(y, x, subject, reml=reml)
    assert fit.structure == "cs" and fit.fit is not None
    np.testing.assert_allclose(fit.fit.beta, ref.fe_params, atol=1e-6)
    tau2, sigma2 = float(np.asarray(ref.cov_re)[0, 0]), float(ref.scale)
    np.testing.assert_allclose(fit.fit.sigma[0, 1], tau2, rtol=1e-5)
    np.testing.assert_allclose(fit.fit.sigma[0, 0], tau2 + sigma2, rtol=1e-5)
    assert fit.fit.loglik == pytest.approx(ref.llf, abs=1e-6)

    def v_of(s):
        m = int((subject == s).sum())
        return tau2 * np.ones((m, m)) + sigma2 * np.eye(m)

    np.testing.assert_allclose(fit.fit.cov_beta, _gls_cov(x, subject, v_of), rtol=1e-5)


def test_random_intercept_and_slope_equals_statsmodels():
    y, x, subject, visit = _long(slope_sd=0.4, seed=3)
    fit = mmrm.fit_mmrm(y, x, subject, visit, np.arange(5.0), list("abcd"), ("rirs",))
    ref = _mixedlm(y, x, subject, exog_re=np.column_stack([np.ones(len(y)), visit]))
    assert fit.fit is not None
    np.testing.assert_allclose(fit.fit.beta, ref.fe_params, atol=1e-6)
    assert fit.fit.loglik == pytest.approx(ref.llf, abs=1e-6)
    d, sigma2 = np.asarray(ref.cov_re), float(ref.scale)
    z = np.column_stack([np.ones(5), np.arange(5.0)])
    np.testing.assert_allclose(fit.fit.sigma, z @ d @ z.T + sigma2 * np.eye(5), rtol=1e-5)

    def v_of(s):
        zi = z[visit[subject == s]]
        return zi @ d @ zi.T + sigma2 * np.eye(len(zi))

    np.testing.assert_allclose(fit.fit.cov_beta, _gls_cov(x, subject, v_of), rtol=1e-5)


def _complete_saturated(n=120, t=4, seed=7):
    """Complete data, correlated visits; design: visit + arm x visit + baseline x visit."""
    rng = np.random.default_rng(seed)
    chol = np.linalg.cholesky(np.array([[4, 2, 1.5, 1], [2, 5, 2.5, 2], [1.5, 2.5, 6, 3],
                                        [1, 2, 3, 7.0]]))
    arm = (np.arange(n) % 2).astype(float)
    base = rng.normal(30, 5, n)
    z = np.column_stack([np.ones(n), arm, base])  # the per-visit design, q = 3
    effect = np.array([[1.0, -1, 0.1], [2, -1.5, 0.05], [3, -2, 0.0], [4, -3, -0.05]])
    wide = z @ effect.T + rng.normal(size=(n, t)) @ chol.T
    subject, visit = np.repeat(np.arange(n), t), np.tile(np.arange(t), n)
    x = np.zeros((n * t, 3 * t))
    for k in range(3):  # columns: visit[v], arm:visit[v], base:visit[v]
        x[np.arange(n * t), k * t + visit] = z[subject, k]
    return wide, z, wide.ravel(), x, subject, visit


def test_unstructured_complete_saturated_equals_ols_by_visit():
    wide, z, y, x, subject, visit = _complete_saturated()
    n, t = wide.shape
    fit = mmrm.fit_mmrm(y, x, subject, visit, np.arange(t), [str(i) for i in range(3 * t)])
    assert fit.structure == "un" and fit.fit is not None
    coef = np.linalg.lstsq(z, wide, rcond=None)[0]  # (q, t): OLS visit by visit
    resid = wide - z @ coef
    q = z.shape[1]
    np.testing.assert_allclose(fit.fit.beta, coef.ravel(), atol=1e-6)
    np.testing.assert_allclose(fit.fit.sigma, resid.T @ resid / (n - q), rtol=1e-6)
    ml = mmrm.fit_mmrm(y, x, subject, visit, np.arange(t), [str(i) for i in range(3 * t)],
                       reml=False)
    np.testing.assert_allclose(ml.fit.sigma, resid.T @ resid / n, rtol=1e-6)
    # The arm effect at the last visit: the ANCOVA (OLS) at that visit, estimate, SE and df.
    v = t - 1
    ols = sm.OLS(wide[:, v], z).fit()
    c = np.zeros(3 * t)
    c[t + v] = 1.0
    found = mmrm.contrast(fit, c)
    assert found.estimate == pytest.approx(ols.params[1], abs=1e-6)
    assert found.se == pytest.approx(ols.bse[1], rel=1e-6)
    assert found.df == pytest.approx(n - q, rel=1e-4)
    assert found.p == pytest.approx(ols.pvalues[1], rel=1e-4)
    low, high = ols.conf_int()[1]
    assert (found.lower, found.upper) == (pytest.approx(low, abs=1e-5),
                                          pytest.approx(high, abs=1e-5))


@pytest.mark.parametrize("structure", ["un", "toeph", "toep", "ar1", "cs", "rirs"])
def test_gradient_matches_central_differences(structure):
    y, x, subject, visit = _long(n=60, t=4, seed=5, slope_sd=0.3)
    times = np.arange(4.0)
    kept, _ = mmrm.estimable_columns(x)
    blocks = mmrm.group_by_pattern(y, x[:, kept], subject, visit, 4)
    moments = mmrm.visit_moments(y, x, subject, visit, 4)
    objective = mmrm._Objective(blocks, structure, times, reml=True)
    theta = mmrm.start_values(structure, moments, times) + 0.05
    _, grad = objective(theta)
    h = 1e-6
    numeric = [(objective(theta + h * e)[0] - objective(theta - h * e)[0]) / (2 * h)
               for e in np.eye(len(theta))]
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-5)


def test_partial_autocorrelations_give_ar1_and_positive_definite_toeplitz():
    # AR(1): partial autocorrelation phi at lag 1, zero beyond; autocorrelation phi^k.
    np.testing.assert_allclose(mmrm.pacf_to_acf(np.array([0.6, 0, 0, 0])),
                               0.6 ** np.arange(5), atol=1e-15)
    rng = np.random.default_rng(0)
    for _ in range(20):
        acf = mmrm.pacf_to_acf(rng.uniform(-0.95, 0.95, 6))
        assert np.linalg.eigvalsh(np.array([[acf[abs(i - j)] for j in range(7)]
                                            for i in range(7)]))[0] > 0


def test_unstructured_not_estimable_falls_back_and_says_why():
    """Visits A and C are never observed in the same subject (half the subjects attend A, B,
    D; the others B, C, D): their covariance has no data, so the unstructured fit is refused
    and the next structure is used, with the reason kept. The heterogeneous Toeplitz
    structure is still identified: lag 2 is seen in B-D."""
    y, x, subject, visit = _long(n=200, t=4, drop=0.0)
    keep = ~(((subject % 2) == 0) & (visit == 2)) & ~(((subject % 2) == 1) & (visit == 0))
    fit = mmrm.fit_mmrm(y[keep], x[keep], subject[keep], visit[keep], np.arange(4),
                        list("abcd"), ("un", "toeph", "cs"), visit_names=list("ABCD"))
    assert fit.structure == "toeph"
    assert fit.tried == ("unstructured covariance: visits A and C are never observed in the "
                         "same subject, so their covariance is not estimable",)


def test_covariance_not_identified_is_refused():
    """Three visits, A and C never together: no lag-2 pair at all, so the likelihood is flat
    along the Toeplitz lag-2 correlation; that fit is refused too (SAS would warn of a
    non-positive-definite Hessian), and compound symmetry is used."""
    y, x, subject, visit = _long(n=200, t=3, drop=0.0)
    keep = ~(((subject % 2) == 0) & (visit == 0)) & ~(((subject % 2) == 1) & (visit == 2))
    fit = mmrm.fit_mmrm(y[keep], x[keep], subject[keep], visit[keep], np.arange(3),
                        list("abcd"), ("un", "toeph", "cs"))
    assert fit.structure == "cs"
    assert fit.tried[1] == ("heterogeneous Toeplitz covariance: a covariance parameter is not "
                            "identified by the data (the likelihood is flat along it)")


def test_random_effects_covariance_at_its_boundary_is_kept():
    """A sample whose REML random-effects covariance is singular (the slope's Cholesky entry
    goes to 0; Sigma stops moving along it): the fit is kept, that parameter treated as known
    for the Satterthwaite df, and its likelihood is at least statsmodels' (which stops short
    of the boundary)."""
    y, x, subject, visit = _long(n=200, t=5, seed=2)
    fit = mmrm.fit_mmrm(y, x, subject, visit, np.arange(5.0), list("abcd"), ("rirs",))
    assert fit.structure == "rirs" and fit.fit is not None
    assert np.exp(fit.fit.theta[2]) < 1e-4
    assert math.isfinite(mmrm.contrast(fit, np.array([0, 0, 0, 1.0])).df)
    ref = _mixedlm(y, x, subject, exog_re=np.column_stack([np.ones(len(y)), visit]))
    assert fit.fit.loglik >= ref.llf - 1e-6


def test_non_convergence_falls_back_and_no_structure_gives_ne():
    y, x, subject, visit = _long()
    fit = mmrm.fit_mmrm(y, x, subject, visit, np.arange(5), list("abcd"), ("un", "cs"),
                        max_iter=1)
    assert fit.fit is None and len(fit.tried) == 2
    assert all(mmrm.NOT_CONVERGED in note for note in fit.tried)
    found = mmrm.contrast(fit, np.array([0, 0, 0, 1.0]))
    assert math.isnan(found.estimate) and math.isnan(found.p)


def test_arm_without_data_at_a_visit_is_not_estimable_there_only():
    """Cell-means design: arm 1 has no value at visit 2, so its column is all zero."""
    y, x, subject, visit = _long(n=100, t=3, drop=0.0)
    arm = x[:, 1].astype(bool)
    keep = ~(arm & (visit == 2))
    onehot = np.eye(3)[visit]
    xx = np.hstack([onehot, onehot * arm[:, None]])[keep]
    fit = mmrm.fit_mmrm(y[keep], xx, subject[keep], visit[keep], np.arange(3),
                        [f"c{i}" for i in range(6)])
    assert fit.fit is not None and 5 not in fit.kept
    at = np.zeros(6)
    at[[2, 5]] = 1.0  # arm 1 at visit 2
    assert math.isnan(mmrm.contrast(fit, at).estimate)
    at = np.zeros(6)
    at[[1, 4]] = 1.0  # arm 1 at visit 1
    found = mmrm.contrast(fit, at)
    assert math.isfinite(found.estimate) and math.isfinite(found.df)


def test_t_estimate_is_normal_without_df():
    found = mmrm.t_estimate(1.96, 1.0, math.inf)
    assert found.p == pytest.approx(2 * stats.norm.sf(1.96))
    assert found.lower == pytest.approx(1.96 - stats.norm.ppf(0.975))



def test_convergence_tolerance_scales_with_the_likelihood():
    """Measured on the 10,000-subject demo (190,000 ALSFRS-R values, random intercept and
    slope): the search ends at -loglik 276,163 with |gradient| 1.6e-3, the rounding noise of
    that sum — converged; the same gradient at -loglik 800 is not."""
    assert mmrm.converged(276162.8, np.array([1.6e-3, -7.7e-4]))
    assert not mmrm.converged(800.0, np.array([1.6e-3]))
    assert not mmrm.converged(800.0, np.array([np.nan]))

"""Mixed model for repeated measures (MMRM): generalised least squares with a covariance
matrix across visits, fitted by REML (or ML), as SAS PROC MIXED with a REPEATED statement and
R mmrm do. statsmodels MixedLM fits random effects only, not an unstructured residual
covariance, so the fit is written here and checked against MixedLM where both apply.

The fixed effects are profiled out: for a covariance matrix Sigma(theta) over the visits,
beta = (sum X_i' S_i^-1 X_i)^-1 sum X_i' S_i^-1 y_i, where S_i is the submatrix of Sigma at the
visits subject i attended; theta maximises the (restricted) log-likelihood, by a trust-region
Newton search (scipy trust-krylov) with the analytic gradient and the expected information as
its Hessian (Fisher scoring, Jennrich & Schluchter 1986). Subjects are grouped by their
pattern of attended visits: each pattern's submatrix is factorised once per pass.

Covariance structures (SAS TYPE= names): un (Cholesky factor, log diagonal: always positive
definite), toeph and toep (correlations from partial autocorrelations, tanh-bounded: always
positive definite), ar1, cs (random intercept: common variance + common non-negative
covariance, as MixedLM), and rirs (random intercept and slope over the visit times).
Degrees of freedom: Satterthwaite, from the observed Hessian of the REML log-likelihood in
theta (W = H^-1, central differences of the analytic gradient) and the gradient g of
c'Cov(beta)c in theta: df = 2 (c'Cc)^2 / (g' W g) (SAS DDFM=SATTERTHWAITE; R mmrm
method = "Satterthwaite"). Standard errors are model-based; the
Kenward-Roger adjustment of the covariance of beta is not applied.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import linalg, optimize

from submission_kit.analysis.longitudinal import (
    NOT_ESTIMABLE,
    Estimate,
    estimable_columns,
    is_estimable,
    t_estimate,
)

STRUCTURES = {
    "un": "unstructured",
    "toeph": "heterogeneous Toeplitz",
    "toep": "Toeplitz",
    "ar1": "first-order autoregressive",
    "cs": "compound symmetry",
    "rirs": "random intercept and slope",
}
NOT_CONVERGED = "did not converge"
_BIG = 1e300  # objective where Sigma is not positive definite numerically: the search backs off
_STEP = 1e-4  # central-difference step in theta: the Hessian and d Cov(beta) / d theta
# Largest |d loglik / d theta| accepted as converged, relative to max(|loglik|, 1000): the
# rounding noise of a gradient summed over n observations grows with n (about 1e-3 at
# 190,000 observations), and a step of g / H ~ g / n in theta is then negligible.
_GTOL = 1e-6


# ---- covariance structures: theta -> Sigma --------------------------------------------------

@functools.cache
def _lower(t: int) -> tuple[np.ndarray, np.ndarray]:
    return np.tril_indices(t, -1)


def _un_factor(theta: np.ndarray, t: int) -> np.ndarray:
    """Lower Cholesky factor: log diagonal first, then the strict lower triangle by rows."""
    chol = np.diag(np.exp(theta[:t]))
    chol[_lower(t)] = theta[t:]
    return chol


def covariance(structure: str, theta: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Sigma (t x t) for the parameters `theta`; `times` are the visits' nominal times."""
    t = len(times)
    if structure == "un":
        chol = _un_factor(theta, t)
        return chol @ chol.T
    if structure == "cs":
        return np.exp(theta[0]) * np.ones((t, t)) + np.exp(theta[1]) * np.eye(t)
    if structure == "ar1":
        lag = np.abs(np.subtract.outer(np.arange(t), np.arange(t)))
        return np.exp(theta[0]) * np.tanh(theta[1]) ** lag
    if structure in ("toep", "toeph"):
        k = 1 if structure == "toep" else t
        sd = np.exp(theta[:k] / 2) * np.ones(t)
        return linalg.toeplitz(pacf_to_acf(np.tanh(theta[k:]))) * np.outer(sd, sd)
    if structure == "rirs":
        z = np.column_stack([np.ones(t), times])
        chol = np.array([[np.exp(theta[0]), 0.0], [theta[1], np.exp(theta[2])]])
        return z @ chol @ chol.T @ z.T + np.exp(theta[3]) * np.eye(t)
    raise ValueError(f"unknown covariance structure {structure!r}; use {', '.join(STRUCTURES)}")


def pacf_to_acf(pacf: np.ndarray) -> np.ndarray:
    """Autocorrelations 1, rho_1, ..., rho_n from partial autocorrelations in (-1, 1), by the
    Durbin-Levinson recursion (Brockwell & Davis, Time Series: Theory and Methods, 5.2.1):
    every such sequence gives a positive definite Toeplitz matrix."""
    rho, phi = [1.0], np.zeros(0)
    for k, p in enumerate(pacf, start=1):
        innovation = 1.0 - float(phi @ np.array(rho[1:k]))
        rho.append(float(phi @ np.array(rho[k - 1:0:-1])) + p * innovation)
        phi = np.append(phi - p * phi[::-1], p)
    return np.array(rho)


def start_values(structure: str, moments: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Starting theta from a positive definite moment estimate of Sigma (OLS residuals)."""
    t = len(times)
    var = np.diag(moments)
    corr = moments / np.sqrt(np.outer(var, var))
    lag1 = float(np.clip(np.mean(np.diag(corr, 1)) if t > 1 else 0.5, 0.05, 0.9))
    if structure == "un":
        chol = np.linalg.cholesky(moments)
        return np.concatenate([np.log(np.diag(chol)), chol[_lower(t)]])
    if structure == "cs":
        return np.log([lag1 * var.mean(), (1 - lag1) * var.mean()])
    if structure == "ar1":
        return np.array([math.log(var.mean()), math.atanh(lag1)])
    pacf = np.zeros(t - 1)
    pacf[:1] = math.atanh(lag1)
    if structure == "toep":
        return np.concatenate([[math.log(var.mean())], pacf])
    if structure == "toeph":
        return np.concatenate([np.log(var), pacf])
    spread = max(float(np.ptp(times)), 1e-8)
    return np.array([0.5 * math.log(0.6 * var.mean()), 0.0,
                     0.5 * math.log(0.2 * var.mean() / spread ** 2), math.log(0.3 * var.mean())])


# ---- data grouped by number of visits attended ---------------------------------------------

@dataclass(frozen=True, slots=True)
class _Group:
    """The subjects who attended `s` visits: their patterns and stacked data."""

    visits: np.ndarray  # (k, s): visit indices of each distinct pattern, ascending
    counts: np.ndarray  # (k,): subjects with each pattern
    starts: np.ndarray  # (k,): first subject of each pattern (subjects sorted by pattern)
    pattern: np.ndarray  # (n,): each subject's pattern
    y: np.ndarray  # (n, s)
    x: np.ndarray  # (n, s, p)


@dataclass(frozen=True, slots=True)
class Blocks:
    groups: tuple[_Group, ...]
    n_visits: int
    n_subjects: int
    n_obs: int
    p: int


def group_by_pattern(y: np.ndarray, x: np.ndarray, subject: np.ndarray, visit: np.ndarray,
                     n_visits: int) -> Blocks:
    """`subject` and `visit` are integer codes (0..N-1, 0..t-1); one row per subject-visit.
    Subjects are stacked by the number of visits they attended, so a likelihood pass costs a
    few batched array operations per group, however many patterns there are."""
    n_subjects = int(subject.max()) + 1
    rows = np.full((n_subjects, n_visits), -1)
    rows[subject, visit] = np.arange(len(y))
    attended = rows >= 0
    sizes = attended.sum(axis=1)
    groups = []
    for size in np.unique(sizes[sizes > 0]):
        mask = attended[sizes == size]
        index = rows[sizes == size][mask].reshape(-1, size)  # row numbers, by visit
        at = np.nonzero(mask)[1].reshape(-1, size)
        visits, pattern = np.unique(at, axis=0, return_inverse=True)
        order = np.argsort(pattern.ravel(), kind="stable")
        counts = np.bincount(pattern.ravel())
        groups.append(_Group(visits, counts, np.concatenate([[0], np.cumsum(counts)[:-1]]),
                             pattern.ravel()[order], y[index[order]], x[index[order]]))
    return Blocks(tuple(groups), n_visits, n_subjects, len(y), x.shape[1])


def visit_moments(y: np.ndarray, x: np.ndarray, subject: np.ndarray, visit: np.ndarray,
                  n_visits: int) -> np.ndarray:
    """Available-case covariance of OLS residuals by visit, made positive definite."""
    beta = np.linalg.lstsq(x, y, rcond=None)[0]
    wide = np.full((int(subject.max()) + 1, n_visits), np.nan)
    wide[subject, visit] = y - x @ beta
    observed = ~np.isnan(wide)
    filled = np.where(observed, wide, 0.0)
    pairs = observed.T.astype(float) @ observed
    moments = (filled.T @ filled) / np.maximum(pairs - 1, 1)
    values, vectors = np.linalg.eigh(moments)
    floor = 1e-3 * max(float(np.mean(np.diag(moments))), 1e-12)
    return (vectors * np.maximum(values, floor)) @ vectors.T


# ---- the (restricted) log-likelihood, profiled over beta ------------------------------------

@dataclass(frozen=True, slots=True)
class _Pass:
    loglik: float
    beta: np.ndarray
    cov_beta: np.ndarray  # (X' V^-1 X)^-1
    grad_sigma: np.ndarray | None  # d loglik / d Sigma (symmetric), when asked for


def likelihood(blocks: Blocks, sigma: np.ndarray, reml: bool, gradient: bool) -> _Pass:
    """One pass over the data; raises LinAlgError when Sigma or X'V^-1X is singular.

    Each subject's values are whitened by the inverse Cholesky factor of its pattern's
    submatrix (factorised once per pattern). Sums over subjects are einsum contractions and
    batched small products, not one large BLAS product, and Cov(beta) is inverted with numpy,
    not scipy's cho_solve: threaded OpenBLAS runs those ten to a hundred times slower on a
    busy two-core machine."""
    p = blocks.p
    xtx, xty, logdet, whitened = np.zeros((p, p)), np.zeros(p), 0.0, []
    for g in blocks.groups:
        chol = np.linalg.cholesky(sigma[g.visits[:, :, None], g.visits[:, None, :]])
        inv_k = np.linalg.inv(chol)
        inv = inv_k[g.pattern]  # (n, s, s)
        yw, xw = np.einsum("nij,nj->ni", inv, g.y), inv @ g.x
        xtx += np.einsum("nsp,nsq->pq", xw, xw)
        xty += np.einsum("nsp,ns->p", xw, yw)
        logdet += 2.0 * float(g.counts @ np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(1))
        whitened.append((inv_k, yw, xw))
    root = np.linalg.inv(np.linalg.cholesky(xtx))  # numpy, not scipy cho_solve: see above
    cov_beta = root.T @ root
    beta = cov_beta @ xty
    resid = [yw - np.einsum("nsp,p->ns", xw, beta) for _, yw, xw in whitened]
    quad = sum(float((r * r).sum()) for r in resid)
    loglik = -0.5 * (logdet + quad) - 0.5 * blocks.n_obs * math.log(2 * math.pi)
    if reml:
        loglik += float(np.log(np.diag(root)).sum()) + 0.5 * p * math.log(2 * math.pi)
    grad = _gradient(blocks, whitened, resid, cov_beta, reml) if gradient else None
    return _Pass(loglik, beta, cov_beta, grad)


def _gradient(blocks: Blocks, whitened: list, resid: list[np.ndarray], cov_beta: np.ndarray,
              reml: bool) -> np.ndarray:
    """d loglik / d Sigma = 1/2 sum_i E_i (w_i w_i' [+ Z_i Cov(beta) Z_i' for REML]
    - S_i^-1) E_i', with w_i = S_i^-1 r_i and Z_i = S_i^-1 X_i (Harville 1977, JASA 72:320).
    In whitened terms (S^-1 = inv' inv) each pattern contributes
    inv' (sum r~ r~' + sum U U' - m I) inv, with U = X~ C and Cov(beta) = CC'."""
    grad = np.zeros((blocks.n_visits, blocks.n_visits))
    root = np.linalg.cholesky(cov_beta) if reml else None
    for g, (inv_k, _, xw), r in zip(blocks.groups, whitened, resid, strict=True):
        outer = np.einsum("ns,nt->nst", r, r)
        if root is not None:
            u = np.einsum("nsp,pq->nsq", xw, root)
            outer += np.einsum("nsq,ntq->nst", u, u)
        inner = np.add.reduceat(outer, g.starts, axis=0)
        inner -= g.counts[:, None, None] * np.eye(g.visits.shape[1])
        np.add.at(grad, (g.visits[:, :, None], g.visits[:, None, :]),
                  inv_k.transpose(0, 2, 1) @ inner @ inv_k)
    return 0.5 * grad


def _sigma_jacobian(structure: str, theta: np.ndarray, times: np.ndarray) -> np.ndarray:
    """d Sigma / d theta_k by central differences (exact for the quadratic Cholesky terms)."""
    h = 1e-6
    out = np.empty((len(theta), len(times), len(times)))
    for k in range(len(theta)):
        step = np.zeros(len(theta))
        step[k] = h
        out[k] = (covariance(structure, theta + step, times)
                  - covariance(structure, theta - step, times)) / (2 * h)
    return out


class _Objective:
    """-loglik(theta) and its gradient, for scipy.optimize."""

    def __init__(self, blocks: Blocks, structure: str, times: np.ndarray, reml: bool):
        self.blocks, self.structure, self.times, self.reml = blocks, structure, times, reml

    def evaluate(self, theta: np.ndarray) -> _Pass:
        sigma = covariance(self.structure, theta, self.times)
        return likelihood(self.blocks, sigma, self.reml, gradient=True)

    def grad_theta(self, theta: np.ndarray, found: _Pass) -> np.ndarray:
        """Chain rule from d loglik / d Sigma (= G, symmetric). Unstructured: Sigma = LL',
        so d loglik / dL = 2GL, times L_jj on the log diagonal; others: d Sigma / d theta by
        central differences (a few parameters, each a t x t product)."""
        assert found.grad_sigma is not None
        if self.structure == "un":
            t = len(self.times)
            chol = _un_factor(theta, t)
            d_chol = 2.0 * found.grad_sigma @ chol
            return np.concatenate([np.diag(d_chol) * np.diag(chol), d_chol[_lower(t)]])
        jac = _sigma_jacobian(self.structure, theta, self.times)
        return np.tensordot(jac, found.grad_sigma, axes=([1, 2], [0, 1]))

    def information(self, theta: np.ndarray) -> np.ndarray:
        """Expected (ML) information in theta: J' I J with I[dS1, dS2] = 1/2 sum_i
        tr(S_i^-1 dS1 S_i^-1 dS2) (the Fisher scoring matrix of Jennrich & Schluchter 1986,
        Biometrics 42:805) and J = d Sigma / d theta. It steers the trust-region search; the
        gradient stays the exact REML one, so the solution is the REML estimate."""
        t = len(self.times)
        sigma = covariance(self.structure, theta, self.times)
        info = np.zeros((t * t, t * t))
        for g in self.blocks.groups:
            full = np.zeros((len(g.counts), t, t))
            rows, cols = g.visits[:, :, None], g.visits[:, None, :]
            full[np.arange(len(g.counts))[:, None, None], rows, cols] = np.linalg.inv(
                sigma[rows, cols])
            info += 0.5 * np.einsum("k,kab,kcd->acbd", g.counts.astype(float), full,
                                    full).reshape(t * t, t * t)
        jac = _sigma_jacobian(self.structure, theta, self.times).reshape(len(theta), t * t)
        return jac @ info @ jac.T

    def __call__(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        try:
            found = self.evaluate(theta)
        except (np.linalg.LinAlgError, ValueError):
            return _BIG, np.zeros(len(theta))
        if not math.isfinite(found.loglik):
            return _BIG, np.zeros(len(theta))
        return -found.loglik, -self.grad_theta(theta, found)


# ---- fitting ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CovarianceFit:
    structure: str
    theta: np.ndarray
    sigma: np.ndarray
    beta: np.ndarray
    cov_beta: np.ndarray
    loglik: float
    reml: bool
    iterations: int
    note: str = ""  # why this structure was not usable ("" when it was)
    # Satterthwaite ingredients: W = inverse Hessian of -loglik, d Cov(beta) / d theta.
    w_theta: np.ndarray | None = None
    d_cov_beta: np.ndarray | None = None

    @property
    def ok(self) -> bool:
        return not self.note


def fit_structure(blocks: Blocks, structure: str, times: np.ndarray, moments: np.ndarray,
                  reml: bool = True, max_iter: int = 2000, visit_names: Sequence[str] = ()
                  ) -> CovarianceFit:
    """Maximise the (restricted) likelihood for one structure. A failure (non-identifiable
    covariance, no convergence, singular Sigma) is returned as a note, never raised."""
    problem = _identifiability(blocks, structure, visit_names)
    objective = _Objective(blocks, structure, times, reml)
    theta = start_values(structure, moments, times)
    iterations = 0
    if not problem:
        theta, iterations = _maximise(objective, theta, max_iter)
        problem = _check(objective, theta)
    if problem:
        return _failed(blocks, structure, theta, times, reml, iterations, problem)
    hess, d_cov = _sensitivities(objective, theta)
    w_theta, problem = _invert_hessian(objective, theta, hess)
    if problem:
        return _failed(blocks, structure, theta, times, reml, iterations, problem)
    final = objective.evaluate(theta)
    return CovarianceFit(structure, theta, covariance(structure, theta, times), final.beta,
                         final.cov_beta, final.loglik, reml, iterations, "", w_theta, d_cov)


def _maximise(objective: _Objective, theta: np.ndarray, max_iter: int) -> tuple[np.ndarray, int]:
    """Trust region with the expected information (a few iterations), then BFGS from there
    when the gradient is not yet small: near a boundary (a variance tending to 0 on the log
    scale) the information predicts poorly and the trust region stops early."""
    found = optimize.minimize(objective, theta, jac=True, hess=objective.information,
                              method="trust-krylov", options={"maxiter": max_iter, "gtol": 1e-6})
    theta, iterations = found.x, int(found.nit)
    if not converged(*objective(theta), tolerance=1e-2 * _GTOL) and iterations < max_iter:
        found = optimize.minimize(objective, theta, jac=True, method="BFGS",
                                  options={"maxiter": max_iter - iterations, "gtol": 1e-6})
        theta, iterations = found.x, iterations + int(found.nit)
    return theta, iterations


def _failed(blocks: Blocks, structure: str, theta: np.ndarray, times: np.ndarray, reml: bool,
            iterations: int, problem: str) -> CovarianceFit:
    nan = np.full((blocks.p, blocks.p), np.nan)
    return CovarianceFit(structure, theta, np.full((len(times),) * 2, np.nan),
                         np.full(blocks.p, np.nan), nan, math.nan, reml, iterations,
                         f"{STRUCTURES[structure]} covariance: {problem}")


def _identifiability(blocks: Blocks, structure: str, names: Sequence[str]) -> str:
    """An unstructured covariance needs every pair of visits seen together in some subject."""
    if structure != "un":
        return ""
    together = np.zeros((blocks.n_visits, blocks.n_visits))
    for g in blocks.groups:
        np.add.at(together, (g.visits[:, :, None], g.visits[:, None, :]),
                  g.counts[:, None, None].astype(float))
    if (together == 0).any():
        i, j = np.argwhere(together == 0)[0]
        first, second = (names[i], names[j]) if names else (f"{i + 1}", f"{j + 1}")
        return (f"visits {first} and {second} are never observed in the same subject, so "
                "their covariance is not estimable")
    return ""


def _check(objective: _Objective, theta: np.ndarray) -> str:
    value, grad = objective(theta)
    if value >= _BIG:
        return "the covariance matrix is singular at the solution"
    sigma = covariance(objective.structure, theta, objective.times)
    eig = np.linalg.eigvalsh(sigma)
    if eig[0] <= 1e-10 * eig[-1]:
        return "the covariance matrix is singular (a variance or correlation at its bound)"
    if not converged(value, grad):
        return f"the likelihood maximisation {NOT_CONVERGED}"
    return ""


def converged(value: float, grad: np.ndarray, tolerance: float = _GTOL) -> bool:
    """|d loglik / d theta| small relative to max(|loglik|, 1000) (see _GTOL)."""
    return bool(np.all(np.isfinite(grad))
                and np.max(np.abs(grad), initial=0.0) <= tolerance * max(abs(value), 1e3))


def _sensitivities(objective: _Objective, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The observed Hessian of -loglik (central differences of the analytic gradient:
    truncation and rounding errors both near 1e-8 at this step) and d Cov(beta) / d theta."""
    k = len(theta)
    hess = np.empty((k, k))
    d_cov = np.empty((k, objective.blocks.p, objective.blocks.p))
    for j in range(k):
        step = np.zeros(k)
        step[j] = _STEP
        up, down = objective.evaluate(theta + step), objective.evaluate(theta - step)
        hess[:, j] = -(objective.grad_theta(theta + step, up)
                       - objective.grad_theta(theta - step, down)) / (2 * _STEP)
        d_cov[j] = (up.cov_beta - down.cov_beta) / (2 * _STEP)
    return (hess + hess.T) / 2, d_cov


def _invert_hessian(objective: _Objective, theta: np.ndarray, hess: np.ndarray
                    ) -> tuple[np.ndarray | None, str]:
    """W = H^-1 over the directions the data inform. A flat direction along which Sigma does
    not move is a parameter at its boundary (a variance tending to 0 on the log scale): it is
    treated as known, as SAS does. A flat direction along which Sigma moves is a covariance
    the data cannot identify, and a negative curvature is no maximum: both refuse the fit."""
    values, vectors = np.linalg.eigh(hess)
    scale = max(float(np.abs(values).max()), 1e-300)
    if values[0] < -1e-6 * scale:
        return None, f"the likelihood maximisation {NOT_CONVERGED} (not a maximum)"
    flat = values <= 1e-8 * scale
    if flat.any():
        jac = _sigma_jacobian(objective.structure, theta, objective.times).reshape(len(theta),
                                                                                  -1)
        moves = np.linalg.norm(vectors[:, flat].T @ jac, axis=1)
        sigma = covariance(objective.structure, theta, objective.times)
        if (moves > 1e-6 * np.linalg.norm(sigma)).any():
            return None, ("a covariance parameter is not identified by the data (the "
                          "likelihood is flat along it)")
    keep = ~flat
    return (vectors[:, keep] / values[keep]) @ vectors[:, keep].T, ""


@dataclass(frozen=True, slots=True)
class MmrmFit:
    """The fit used (first usable structure in the order asked) and why others were not."""

    fit: CovarianceFit | None  # None: no structure could be fitted
    columns: tuple[str, ...]  # names of the columns of X (all of them, aliased included)
    kept: np.ndarray  # indices of the columns estimated (aliased columns dropped)
    null_space: np.ndarray  # (p, k): contrasts with a component here are not estimable
    n_subjects: int
    n_obs: int
    tried: tuple[str, ...] = ()  # notes of the structures that failed, in order

    @property
    def structure(self) -> str:
        return "" if self.fit is None else self.fit.structure


def fit_mmrm(y: np.ndarray, x: np.ndarray, subject: np.ndarray, visit: np.ndarray,
             times: Sequence[float] | np.ndarray, columns: Sequence[str],
             structures: Sequence[str] = ("un",), reml: bool = True,
             max_iter: int = 2000, visit_names: Sequence[str] = ()) -> MmrmFit:
    """Fit each structure in turn until one converges to a positive definite covariance.
    Aliased columns of X (an arm with no data at a visit) are dropped first; contrasts that
    need them are then not estimable (see `contrast`)."""
    kept, null_space = estimable_columns(x)
    times_arr = np.asarray(times, dtype=float)
    blocks = group_by_pattern(y, x[:, kept], subject, visit, len(times_arr))
    moments = visit_moments(y, x[:, kept], subject, visit, len(times_arr))
    tried: list[str] = []
    for structure in structures:
        fit = fit_structure(blocks, structure, times_arr, moments, reml, max_iter,
                            visit_names)
        if fit.ok:
            return MmrmFit(fit, tuple(columns), kept, null_space, blocks.n_subjects,
                           blocks.n_obs, tuple(tried))
        tried.append(fit.note)
    return MmrmFit(None, tuple(columns), kept, null_space, blocks.n_subjects, blocks.n_obs,
                   tuple(tried))


# ---- contrasts ---------------------------------------------------------------------------

def contrast(model: MmrmFit, c: np.ndarray, level: float = 0.95) -> Estimate:
    """c'beta with its model-based SE, Satterthwaite df, t CI and two-sided p-value."""
    if model.fit is None or not is_estimable(c, model.null_space):
        return NOT_ESTIMABLE
    fit, ck = model.fit, c[model.kept]
    est = float(ck @ fit.beta)
    var = float(ck @ fit.cov_beta @ ck)
    df = math.inf
    if fit.w_theta is not None and fit.d_cov_beta is not None:
        g = np.einsum("i,kij,j->k", ck, fit.d_cov_beta, ck)
        spread = float(g @ fit.w_theta @ g)
        df = 2 * var ** 2 / spread if spread > 0 else math.inf
    return t_estimate(est, math.sqrt(max(var, 0.0)), df, level)

"""Builds solutions/07_differential_privacy.ipynb (the single source of exercise 07).

Run: python tools/build_solution_07.py  (then `mlops-course release` regenerates exercises/).
Kept as code so the notebook's structure and nbgrader metadata stay reviewable.
"""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

OUT = Path(__file__).resolve().parents[1] / "solutions" / "07_differential_privacy.ipynb"


def md(text: str, grade_id: str | None = None):
    cell = new_markdown_cell(text.strip())
    if grade_id:
        cell.metadata["nbgrader"] = {"grade": False, "grade_id": grade_id, "locked": True,
                                     "schema_version": 3, "solution": False, "task": False}
    return cell


def locked(src: str, grade_id: str):
    cell = new_code_cell(src.strip())
    cell.metadata["nbgrader"] = {"grade": False, "grade_id": grade_id, "locked": True,
                                 "schema_version": 3, "solution": False, "task": False}
    return cell


def solution(src: str, grade_id: str):
    cell = new_code_cell(src.strip())
    cell.metadata["nbgrader"] = {"grade": False, "grade_id": grade_id, "locked": False,
                                 "schema_version": 3, "solution": True, "task": False}
    return cell


def test(src: str, grade_id: str, points: int):
    cell = new_code_cell(src.strip())
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": f"{grade_id}-check", "locked": True,
                                 "points": points, "schema_version": 3, "solution": False, "task": False}
    return cell


cells = [
    md("""
# Exercise 07 — Differential privacy

*Slides: "Differential Privacy: Introduction", "How It Works", "Key Properties", "Implementation Considerations".*

You will implement, in plain numpy, the pieces every DP system is built from: the Laplace mechanism, the
Gaussian mechanism's calibration, randomized response, a clipped DP mean, a privacy-budget ledger and the
accuracy of the noise.

**How this notebook is graded**

* Write your code only in the cells that say `# YOUR CODE HERE` (replace the `raise NotImplementedError()`).
  Keep the function names and arguments exactly as given: the grader calls them with its own inputs.
* Only those answer cells are graded; edits to other cells are ignored (the grader uses its own copy).
* Use only `numpy` and `math` (already imported). Importing the course's reference implementation
  (`mlops_course.privacy`) is blocked during grading.
* Use the `rng` argument (a `numpy.random.Generator`) for all randomness, so results are reproducible.
* After each task, run its **self-check** cell. It runs the *visible* checks only and prints ✔/✘ with hints;
  the grade also uses hidden checks (e.g. statistical tests with other seeds and inputs).
""", "dp-intro"),
    locked("""
import math

import numpy as np
""", "dp-imports"),
    locked("""
from mlops_course import setup_course
from mlops_course.grading import check

rng = setup_course(seed=7)
""", "dp-setup"),
    md(r"""
## Task 1 — The Laplace mechanism (3 points)

A query $f$ with $\ell_1$-sensitivity $\Delta_1 = \max_{D \sim D'} \lVert f(D) - f(D') \rVert_1$ is released as

$$M(D) = f(D) + Z, \qquad Z \sim \mathrm{Lap}(0, b), \quad b = \Delta_1 / \varepsilon,$$

which is $\varepsilon$-differentially private (Dwork, McSherry, Nissim & Smith 2006).

Write `laplace_mechanism(value, sensitivity, epsilon, rng)`:
* `value` is a float or a numpy array; return the same shape (a float for a float), with independent noise per entry;
* draw the noise from `rng`;
* raise `ValueError` if `epsilon <= 0` or `sensitivity <= 0`.
""", "dp-laplace-md"),
    solution('''
def laplace_mechanism(value, sensitivity, epsilon, rng):
    """Return value + Laplace(0, sensitivity / epsilon) noise (epsilon-DP)."""
    ### BEGIN SOLUTION
    if not epsilon > 0:
        raise ValueError(f"epsilon must be > 0, got {epsilon!r}")
    if not sensitivity > 0:
        raise ValueError(f"sensitivity must be > 0, got {sensitivity!r}")
    scale = sensitivity / epsilon
    if np.ndim(value) == 0:
        return float(value) + float(rng.laplace(0.0, scale))
    value = np.asarray(value, dtype=float)
    return value + rng.laplace(0.0, scale, size=value.shape)
    ### END SOLUTION
''', "dp-laplace"),
    test('check("dp-laplace", laplace_mechanism)', "dp-laplace", 3),
    md(r"""
## Task 2 — Calibrating the Gaussian mechanism (2 points)

Adding $\mathcal N(0, \sigma^2)$ noise to a query with $\ell_2$-sensitivity $\Delta_2$ is $(\varepsilon, \delta)$-DP when
(Dwork & Roth 2014, Theorem A.1)

$$\sigma = \frac{\Delta_2 \sqrt{2 \ln(1.25/\delta)}}{\varepsilon}, \qquad \text{valid only for } 0 < \varepsilon < 1.$$

Write `gaussian_sigma(sensitivity, epsilon, delta)` returning this $\sigma$. Raise `ValueError` when
`sensitivity <= 0`, when $\varepsilon$ is not in $(0, 1)$ (the classic bound does not hold there) or
when $\delta$ is not in $(0, 1)$.
""", "dp-gaussian-sigma-md"),
    solution('''
def gaussian_sigma(sensitivity, epsilon, delta):
    """Classic Gaussian-mechanism noise scale for (epsilon, delta)-DP, 0 < epsilon < 1."""
    ### BEGIN SOLUTION
    if not sensitivity > 0:
        raise ValueError(f"sensitivity must be > 0, got {sensitivity!r}")
    if not 0 < epsilon < 1:
        raise ValueError(f"epsilon must be in (0, 1) for the classic calibration, got {epsilon!r}")
    if not 0 < delta < 1:
        raise ValueError(f"delta must be in (0, 1), got {delta!r}")
    return sensitivity * math.sqrt(2.0 * math.log(1.25 / delta)) / epsilon
    ### END SOLUTION
''', "dp-gaussian-sigma"),
    test('check("dp-gaussian-sigma", gaussian_sigma)', "dp-gaussian-sigma", 2),
    md(r"""
## Task 3 — Randomized response (2 points)

Each respondent with a private bit $x \in \{0, 1\}$ reports $x$ with probability $p = e^\varepsilon / (1 + e^\varepsilon)$
and $1 - x$ otherwise; this is $\varepsilon$-DP (Warner 1965). If $\pi$ is the true fraction of 1s, a report is 1 with
probability $\lambda = \pi p + (1 - \pi)(1 - p)$, so an unbiased estimate from the observed fraction $\hat\lambda$ is

$$\hat\pi = \frac{\hat\lambda - (1 - p)}{2p - 1}.$$

Write `rr_estimate(responses, epsilon)`: `responses` is a sequence of 0/1 reports; return $\hat\pi$ as a float
(it may fall outside $[0, 1]$ — do not clip, or it is no longer unbiased).
""", "dp-rr-md"),
    solution('''
def rr_estimate(responses, epsilon):
    """Unbiased estimate of the true fraction of 1s from randomized-response reports."""
    ### BEGIN SOLUTION
    responses = np.asarray(responses, dtype=float)
    p = math.exp(epsilon) / (1.0 + math.exp(epsilon))
    return float((responses.mean() - (1.0 - p)) / (2.0 * p - 1.0))
    ### END SOLUTION
''', "dp-rr"),
    test('check("dp-rr", rr_estimate)', "dp-rr", 2),
    md(r"""
## Task 4 — A differentially private mean with clipping (3 points)

The mean of unbounded data has unbounded sensitivity. Clip each value to $[L, U]$ first; with the number of
records $n$ public, replacing one record (the neighbouring relation here) moves the clipped mean by at most
$(U - L)/n$, so

$$\widetilde{\mu} = \frac{1}{n} \sum_i \mathrm{clip}(x_i, L, U) + \mathrm{Lap}\!\left(\frac{U - L}{n\,\varepsilon}\right)$$

is $\varepsilon$-DP. Write `dp_mean(x, lower, upper, epsilon, rng)` returning $\widetilde{\mu}$ as a float.
""", "dp-mean-md"),
    solution('''
def dp_mean(x, lower, upper, epsilon, rng):
    """epsilon-DP mean of x clipped to [lower, upper] (n public)."""
    ### BEGIN SOLUTION
    x = np.clip(np.asarray(x, dtype=float), lower, upper)
    scale = (upper - lower) / (len(x) * epsilon)
    return float(x.mean() + rng.laplace(0.0, scale))
    ### END SOLUTION
''', "dp-mean"),
    test('check("dp-mean", dp_mean)', "dp-mean", 3),
    md(r"""
## Task 5 — A privacy-budget ledger (3 points)

By sequential composition, answering queries that are $\varepsilon_1, \dots, \varepsilon_k$-DP is
$\left(\sum_i \varepsilon_i\right)$-DP. A data curator therefore fixes a total budget and **refuses** any query that
would exceed it.

Write a class `BudgetLedger(total_epsilon)` with
* `spend(epsilon, label)`: record the query and return the remaining budget; if `epsilon <= 0` or the query
  would take the total spent above `total_epsilon`, raise `ValueError` **and record nothing**;
* `remaining`: the budget left (a float);
* `entries`: the list of `(label, epsilon)` tuples of accepted queries, in order.
""", "dp-ledger-md"),
    solution('''
class BudgetLedger:
    """Sequential-composition budget: refuses a query that would exceed total_epsilon."""

    def __init__(self, total_epsilon):
        ### BEGIN SOLUTION
        if not total_epsilon > 0:
            raise ValueError(f"total_epsilon must be > 0, got {total_epsilon!r}")
        self.total_epsilon = float(total_epsilon)
        self.entries = []
        ### END SOLUTION

    @property
    def remaining(self):
        ### BEGIN SOLUTION
        return self.total_epsilon - sum(eps for _, eps in self.entries)
        ### END SOLUTION

    def spend(self, epsilon, label):
        ### BEGIN SOLUTION
        if not epsilon > 0:
            raise ValueError(f"epsilon must be > 0, got {epsilon!r}")
        if epsilon > self.remaining + 1e-12:
            raise ValueError(f"query {label!r} needs epsilon={epsilon} but only {self.remaining} remains")
        self.entries.append((label, float(epsilon)))
        return self.remaining
        ### END SOLUTION
''', "dp-ledger"),
    test('check("dp-ledger", BudgetLedger)', "dp-ledger", 3),
    md(r"""
## Task 6 — How accurate is the noise? (2 points)

For $Z \sim \mathrm{Lap}(0, b)$, $P(|Z| > h) = e^{-h/b}$. The half-width $h$ with $P(|Z| \le h) = c$ is therefore

$$h = b \ln\frac{1}{1 - c}, \qquad \text{e.g. } c = 0.95 \Rightarrow h = b \ln 20 \approx 3.0\, b.$$

Write `laplace_halfwidth(sensitivity, epsilon, confidence=0.95)` returning $h$ for $b = \Delta_1 / \varepsilon$.
Raise `ValueError` if `confidence` is not in $(0, 1)$.
""", "dp-halfwidth-md"),
    solution('''
def laplace_halfwidth(sensitivity, epsilon, confidence=0.95):
    """Half-width h with P(|Lap(sensitivity/epsilon)| <= h) = confidence."""
    ### BEGIN SOLUTION
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    return (sensitivity / epsilon) * math.log(1.0 / (1.0 - confidence))
    ### END SOLUTION
''', "dp-halfwidth"),
    test('check("dp-halfwidth", laplace_halfwidth)', "dp-halfwidth", 2),
    md("""
## Try it

A quick look at your mechanisms together (not graded): the DP mean of 1,000 ages with a 95% accuracy band.
""", "dp-try-md"),
    locked("""
ages = np.clip(rng.normal(41, 12, size=1_000), 18, 90)
estimate = dp_mean(ages, 18, 90, 0.5, rng)
h = laplace_halfwidth((90 - 18) / len(ages), 0.5)
print(f"true mean {ages.mean():.2f}, DP mean {estimate:.2f} ± {h:.2f} (95%)")
""", "dp-try"),
]

for cell in cells:  # stable cell ids keep rebuilds and releases byte-identical
    cell.id = cell.metadata["nbgrader"]["grade_id"]
nb = new_notebook(cells=cells)
nb.metadata = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
    "mlops_course": {"unit": 7, "stem": "07_differential_privacy"},
}
OUT.parent.mkdir(parents=True, exist_ok=True)
nbformat.write(nb, OUT)
print("wrote", OUT)

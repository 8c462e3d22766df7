#!/usr/bin/python3
"""benchlab's statistics against Debian's scipy, on the same inputs.

Usage: stats_scipy_check.py STATS_JSON_BINARY REPORT.json [REPORT.json ...]

Inputs: every pair of rows x headline metric of the given (real) reports, measured values as the
summary uses them (runs[].derived), plus seeded synthetic samples of other sizes. Checks:
  - Mann-Whitney U and two-sided p: scipy.stats.mannwhitneyu, method "exact" where benchlab takes
    the exact path, "asymptotic" (tie and continuity corrected) otherwise;
  - Hodges-Lehmann: the shift is numpy's median of all pairwise differences; the confidence
    interval is the set of shifts d that scipy's exact test of (next - d) vs base does not reject,
    probed just inside and just outside each bound;
  - bootstrap CI of the median: scipy.stats.bootstrap(method="percentile"), and both against the
    exact bootstrap distribution of the median (enumerated for n <= 8);
  - Holm and Benjamini-Hochberg against a direct implementation of their definitions;
  - CV against numpy (ddof=1).
"""
import itertools
import json
import math
import subprocess
import sys

import numpy as np
from scipy import stats

ALPHA = 0.05
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


def rows_of(report):
    rows = {}
    headline = {}
    for m in report["metrics"]["common"]:
        headline[m["name"]] = m["headline"] and m["direction"] != "neither"
    for group in ("workloads", "datapaths"):
        for ms in report["metrics"][group].values():
            for m in ms:
                headline[m["name"]] = m["headline"] and m["direction"] != "neither"
    for run in report["runs"]:
        if run["status"] != "ok":
            continue
        key = (run["cell"]["label"], run["variant"])
        for name, v in run["derived"].items():
            if headline.get(name):
                rows.setdefault((key, name), []).append(v)
    return rows


def main():
    binary, reports = sys.argv[1], sys.argv[2:]
    pairs, samples = [], []
    loaded = [json.load(open(p)) for p in reports]
    per_report = [rows_of(r) for r in loaded]
    for key, xs in per_report[0].items():
        samples.append(xs)
        for other in per_report[1:]:
            if key in other:
                pairs.append((xs, other[key]))
    rng = np.random.default_rng(20261202)
    for n1, n2, shift in [(3, 3, 0), (5, 5, 0.5), (5, 6, 2), (6, 6, 0), (7, 5, 1), (8, 8, 3), (10, 12, 0.3), (20, 25, 1)]:
        a = rng.lognormal(3, 0.2, n1)
        pairs.append((list(a), list(rng.lognormal(3, 0.2, n2) * (1 + shift / 10))))
    for n in (1, 2, 5, 6, 7, 8, 11, 25):
        samples.append(list(rng.normal(100, 10, n)))
    pvalues = [[0.01, 0.04, 0.03, 0.2, 0.005], [0.5, 0.001, 0.049, 0.0125, 0.0125, 0.9, 0.02],
               [abs(x) for x in rng.uniform(0, 0.1, 30)]]

    out = subprocess.run([binary], input=json.dumps({"pairs": [{"base": b, "next": n} for b, n in pairs],
                                                       "pvalues": pvalues, "samples": samples,
                                                       "confidence": 1 - ALPHA}),
                         capture_output=True, text=True, check=True)
    ours = json.loads(out.stdout)

    for (base, nxt), r in zip(pairs, ours["pairs"]):
        base, nxt = np.array(base), np.array(nxt)
        ties = len(set(np.concatenate([base, nxt]))) < len(base) + len(nxt)
        method = "exact" if r["exact"] else "asymptotic"
        ref = stats.mannwhitneyu(nxt, base, alternative="two-sided", method=method)
        label = f"n={len(base)}/{len(nxt)}"
        check(math.isclose(r["u"], ref.statistic, abs_tol=1e-9), f"{label}: U {r['u']} vs scipy {ref.statistic}")
        if not (ties and method == "exact"):   # scipy's exact path assumes no ties
            check(math.isclose(r["p"], ref.pvalue, rel_tol=1e-9, abs_tol=1e-12), f"{label}: p {r['p']} vs scipy {ref.pvalue} ({method})")
        asym = stats.mannwhitneyu(nxt, base, alternative="two-sided", method="asymptotic")
        check(math.isclose(r["p_asymptotic"], asym.pvalue, rel_tol=1e-9, abs_tol=1e-12), f"{label}: asymptotic p {r['p_asymptotic']} vs {asym.pvalue}")
        check(math.isclose(r["min_p"], min(1, 2 / math.comb(len(base) + len(nxt), len(base))), rel_tol=1e-9), f"{label}: min p")

        diffs = np.sort(np.subtract.outer(nxt, base).ravel())
        check(math.isclose(r["shift"], float(np.median(diffs)), rel_tol=1e-12, abs_tol=1e-12), f"{label}: HL shift {r['shift']} vs {np.median(diffs)}")
        if ties or len(base) > 50 or len(nxt) > 50:
            continue
        gaps = np.diff(np.unique(diffs))
        eps = (gaps.min() if len(gaps) else 1.0) / 4
        ci_method = "exact" if max(len(base), len(nxt)) <= 50 else "asymptotic"

        def p_at(d):
            return stats.mannwhitneyu(nxt - d, base, alternative="two-sided", method=ci_method).pvalue

        if r["ci_low"] is None:
            # No interval at this level: not even the most extreme shift is rejected.
            check(p_at(diffs[0] - 1) > ALPHA and r["ci_high"] is None, f"{label}: no CI, yet scipy rejects at the extreme")
            continue
        lo, hi = r["ci_low"], r["ci_high"]
        check(p_at(lo + eps) > ALPHA and p_at(lo - eps) <= ALPHA, f"{label}: CI low {lo}: scipy p inside {p_at(lo + eps)}, outside {p_at(lo - eps)}")
        check(p_at(hi - eps) > ALPHA and p_at(hi + eps) <= ALPHA, f"{label}: CI high {hi}: scipy p inside {p_at(hi - eps)}, outside {p_at(hi + eps)}")

    for xs, r in zip(samples, ours["bootstrap"]):
        x = np.array(xs)
        n = len(x)
        if n > 1:
            check(math.isclose(r["cv_pct"], 100 * np.std(x, ddof=1) / abs(np.mean(x)), rel_tol=1e-9), f"n={n}: CV")
        if n == 1:
            check(r["low"] == r["high"] == x[0], "n=1: CI is the value")
            continue
        ref = stats.bootstrap((x,), np.median, confidence_level=1 - ALPHA, n_resamples=20000, method="percentile",
                              random_state=np.random.default_rng(7)).confidence_interval
        span = x.max() - x.min()
        if n <= 8:
            # The exact bootstrap distribution of the median: every multiset of n draws, with its
            # multinomial weight.
            atoms = {}
            for combo in itertools.combinations_with_replacement(range(n), n):
                counts = np.bincount(combo, minlength=n)
                w = math.factorial(n)
                for c in counts:
                    w //= math.factorial(c)
                m = float(np.median(x[list(combo)]))
                atoms[m] = atoms.get(m, 0) + w / n ** n
            values = sorted(atoms)
            cdf = np.cumsum([atoms[v] for v in values])
            for q, got, theirs in ((ALPHA / 2, r["low"], ref.low), (1 - ALPHA / 2, r["high"], ref.high)):
                i = int(np.searchsorted(cdf, q))
                # Where the CDF crosses q by a clear margin (3.5 sigma of 2000 resamples), both
                # bootstraps must land on that atom.
                near = min(abs(cdf[i] - q), abs((cdf[i - 1] if i else 0) - q))
                if near > 0.013:
                    check(math.isclose(got, values[i], rel_tol=1e-12), f"n={n}: bootstrap bound {got} vs exact atom {values[i]}")
                    check(math.isclose(theirs, values[i], rel_tol=1e-9), f"n={n}: scipy bound {theirs} vs exact atom {values[i]}")
                else:
                    check(abs(got - theirs) <= 0.25 * span, f"n={n}: bootstrap bound {got} vs scipy {theirs}")
        else:
            check(abs(r["low"] - ref.low) <= 0.05 * span and abs(r["high"] - ref.high) <= 0.05 * span,
                  f"n={n}: bootstrap CI [{r['low']}, {r['high']}] vs scipy [{ref.low}, {ref.high}]")

    for ps, holm, bh in zip(pvalues, ours["holm"], ours["bh"]):
        m = len(ps)
        order = sorted(range(m), key=lambda i: ps[i])
        ref_holm, ref_bh = [0.0] * m, [0.0] * m
        for rank, i in enumerate(order):
            ref_holm[i] = min(1.0, max((m - j) * ps[order[j]] for j in range(rank + 1)))
            ref_bh[i] = min(1.0, min(m * ps[order[j]] / (j + 1) for j in range(rank, m)))
        check(np.allclose(holm, ref_holm, rtol=1e-12), f"holm {holm} vs {ref_holm}")
        check(np.allclose(bh, ref_bh, rtol=1e-12), f"bh {bh} vs {ref_bh}")

    print(f"{len(pairs)} pairs, {len(samples)} samples, {len(pvalues)} p-value families checked against scipy {__import__('scipy').__version__}")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Figures of a benchlab report, generic over its declared axes and metrics.

    /usr/bin/python3 reports/plot.py REPORT.json OUT [--format png,svg] [--metric NAME]

writes OUT-<figure>.<format> (OUT's extension, if any, is dropped) and prints each path. Per
workload of the report:

  rate-<workload>     its headline rate (throughput, transactions/s, pps...) against the first
                      numeric matrix axis (message or packet size), one line per datapath variant,
                      one panel per value of the other axes
  latency-<workload>  its headline latency percentiles the same way (workloads with a histogram)
  cdf-<workload>      the latency CDF per datapath variant, one panel per cell, from the stored
                      histograms of every ok run merged
  cpu-<workload>      busy CPU per unit of work split into user / system / softirq / other, one
                      panel per datapath variant
and one speed-up heatmap over the whole matrix (every headline metric, direction-aware: above 1
is better than the baseline).

Error bars are the 95% confidence interval of the median when the summary carries one
(ci_low/ci_high), else the interquartile range; points of rows the summary marks noisy are
drawn hollow. Only the report's own figures are drawn (its "summary", or the runs' "derived"
figures when there is none); nothing is re-measured or smoothed. Every figure is 1200 px wide
(12 in at 100 dpi) so it reads at a normal page width.
"""

import argparse
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import TwoSlopeNorm  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FixedLocator, NullLocator  # noqa: E402

SUPPORTED_SCHEMA = 2
WIDTH_IN = 12.0
DPI = 100
MAX_COLS = 4
MARKERS = "osD^vP*Xh<>"
LINESTYLES = ["-", "--", ":", "-."]
CPU_KINDS = [("user", "cpu_user_s", "#4c72b0"), ("system", "cpu_system_s", "#dd8452"),
             ("softirq", "cpu_softirq_s", "#c44e52"), ("other busy", None, "#8c8c8c")]

plt.rcParams.update({"font.size": 10, "axes.titlesize": 10, "axes.labelsize": 10, "legend.fontsize": 9,
                     "xtick.labelsize": 9, "ytick.labelsize": 9, "figure.titlesize": 12,
                     "svg.fonttype": "path", "axes.grid": True, "grid.alpha": 0.3})


class ReportError(Exception):
    pass


def load_report(path):
    """The report as a dict, or ReportError with one line naming the file and the reason."""
    try:
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
    except (OSError, ValueError) as e:
        raise ReportError(f"{path}: cannot read report: {e}") from None
    if not isinstance(report, dict) or not isinstance(report.get("schema_version"), int):
        raise ReportError(f"{path}: not a benchlab report (no schema_version)")
    if report["schema_version"] > SUPPORTED_SCHEMA:
        raise ReportError(f"{path}: report schema_version {report['schema_version']} is newer than this script "
                          f"understands ({SUPPORTED_SCHEMA})")
    if not isinstance(report.get("runs"), list) or not isinstance(report.get("scenario"), dict):
        raise ReportError(f"{path}: malformed report: no runs or scenario")
    return report


# ---------------------------------------------------------------------------------------------
# Reading the report: rows, declarations, axes


def quantile(xs, q):
    """Type 7 (linear interpolation), as benchlab::stats::quantile and numpy's default."""
    xs = sorted(xs)
    h = (len(xs) - 1) * q
    lo = int(h)
    if lo + 1 >= len(xs):
        return xs[-1]
    return xs[lo] + (h - lo) * (xs[lo + 1] - xs[lo])


def summary_rows(report):
    """The summary rows; rebuilt from the runs' derived figures when the file has none."""
    summary = report.get("summary") or {}
    if summary.get("rows"):
        rows = summary["rows"]
        for row in rows:
            row.setdefault("variant", row["datapath"])
        return rows
    baselines = baselines_of(report)
    groups = {}
    for run in report["runs"]:
        key = (run["cell"]["label"], run.get("variant", run["datapath"]))
        row = groups.setdefault(key, {"cell_label": key[0], "cell": run["cell"], "datapath": run["datapath"],
                                      "variant": key[1], "ok_runs": 0, "failed_runs": 0, "skipped_runs": 0,
                                      "values": {}})
        row[run["status"] + "_runs"] += 1
        if run["status"] == "ok":
            for name, v in (run.get("derived") or {}).items():
                row["values"].setdefault(name, []).append(v)
    rows = list(groups.values())
    for row in rows:
        row["metrics"] = {name: {"n": len(xs), "median": quantile(xs, 0.5), "q1": quantile(xs, 0.25),
                                 "q3": quantile(xs, 0.75), "min": min(xs), "max": max(xs)}
                          for name, xs in row.pop("values").items()}
        kind = workload_kinds(report).get(row["cell"]["workload"], "stream")
        row["baseline"] = baselines.get(kind, "kernel")
    for row in rows:
        base = groups.get((row["cell_label"], row["baseline"]))
        for name, m in row["metrics"].items():
            b = base["metrics"].get(name) if base else None
            m["ratio_to_baseline"] = m["median"] / b["median"] if b and b["median"] else None
    return rows


def baselines_of(report):
    summary = report.get("summary") or {}
    if "baselines" in summary:
        return summary["baselines"]
    return (report.get("metrics") or {}).get("baselines") or {"stream": summary.get("baseline_datapath", "kernel")}


def workload_kinds(report):
    return (report.get("metrics") or {}).get("workload_kinds") or {}


def declarations(report, workload, datapath=None):
    """{metric name: declaration} of a row: common, then the workload's, then the datapath's."""
    table = report.get("metrics") or {}
    decls = list(table.get("common", [])) + list((table.get("workloads") or {}).get(workload, []))
    if datapath:
        decls += list((table.get("datapaths") or {}).get(datapath, []))
    return {d["name"]: d for d in decls}


def cell_axes(cell):
    """The cell's axis values: version 2 keeps them under "axes", version 1 as fields."""
    if "axes" in cell:
        return cell["axes"]
    return {"message_size": cell.get("message_size_bytes"), "flows": cell.get("flows"),
            "cpu_placement": cell.get("cpu_placement")}


def axis_unit(rows, axis):
    """An axis's unit, read off the cell labels ("tcp_rr/64B/1flow/...": message_size 64 -> "B")."""
    for row in rows:
        v = cell_axes(row["cell"]).get(axis)
        for part in row["cell_label"].split("/")[1:]:
            if isinstance(v, (int, float)) and not isinstance(v, bool) and part.startswith(str(v)):
                unit = part[len(str(v)):]
                if unit and not unit[0].isdigit():
                    return unit
    return ""


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def layout(rows):
    """(x axis or None, facet axes): the x axis is the first numeric axis with several values
    (message_size before the others), the facets every other axis with several values."""
    axes = {}
    for row in rows:
        for k, v in cell_axes(row["cell"]).items():
            axes.setdefault(k, [])
            if v not in axes[k]:
                axes[k].append(v)
    varying = [k for k, vs in axes.items() if len(vs) > 1]
    numeric = [k for k in varying if all(is_number(v) for v in axes[k])]
    numeric.sort(key=lambda k: k not in ("message_size", "packet_size"))
    x = numeric[0] if numeric else None
    return x, [k for k in varying if k != x]


def facets(rows, facet_axes):
    """[(title, rows)] per combination of the facet axes' values, in the order cells ran."""
    out = {}
    for row in rows:
        ax = cell_axes(row["cell"])
        key = tuple((k, ax.get(k)) for k in facet_axes)
        out.setdefault(key, []).append(row)
    return [(", ".join(f"{k}={v}" for k, v in key) or None, rs) for key, rs in out.items()]


def variants_in_order(report, rows):
    """Baselines first, then the order the report ran them."""
    order = list(dict.fromkeys(r["variant"] for r in rows))
    baselines = set(baselines_of(report).values())
    return sorted(order, key=lambda v: v not in baselines)


def variant_styles(report):
    """One colour and marker per variant, the same in every figure of a report."""
    rows = summary_rows(report)
    styles = {}
    i = 0
    baselines = set(baselines_of(report).values())
    for v in variants_in_order(report, rows):
        if v in baselines:
            styles[v] = ("0.2", "o")
        else:
            styles[v] = (plt.get_cmap("tab10")(i % 10), MARKERS[(i + 1) % len(MARKERS)])
            i += 1
    return styles


def spread(m):
    """(low, high, what): the confidence interval of the median when present, else the IQR."""
    if m.get("ci_low") is not None and m.get("ci_high") is not None:
        return m["ci_low"], m["ci_high"], "95% CI of the median"
    return m.get("q1", m["median"]), m.get("q3", m["median"]), "IQR"


def has_data(m):
    return m is not None and m.get("n", 0) > 0


# ---------------------------------------------------------------------------------------------
# Units


SI = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, "")]


def display_scale(decl, values):
    """(unit label, factor) that keeps the numbers short: Gbit/s, k/s, ms..."""
    unit = decl.get("unit", "")
    if decl.get("display_unit"):
        return decl["display_unit"], decl.get("display_scale") or 1.0
    top = max((abs(v) for v in values if v), default=0)
    if unit in ("bit/s", "B/s", "1/s", "pps", "B", "packets", "bytes"):
        for f, p in SI:
            if top >= f:
                if unit == "1/s":
                    return (f"{p}/s" if p else "1/s"), 1 / f
                return p + unit, 1 / f
    if unit == "µs" and top >= 1e4:
        return "ms", 1e-3
    return unit, 1.0


def format_axis_value(v, unit):
    if unit == "B" and is_number(v):
        for f, p in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
            if v >= f and v % f == 0:
                return f"{v // f} {p}"
        return f"{v} B"
    return f"{v}{' ' + unit if unit else ''}"


def spans_decades(values):
    pos = [v for v in values if v > 0]
    return len(pos) > 1 and max(pos) / min(pos) >= 10


def title_of(report, what):
    ctx = report.get("context") or {}
    host = ctx.get("hostname") or "?"
    kernel = (ctx.get("kernel") or {}).get("release", "")
    cpus = (ctx.get("cpu") or {}).get("online")
    machine = f"{host}, Linux {kernel}" + (f", {cpus} CPUs" if cpus else "")
    return f"{report['scenario'].get('name') or 'report'} on {machine}: {what}"


def footer(fig, report):
    fig.text(0.995, 0.003, f"benchlab {report.get('benchlab_version', '?')} @ {report.get('git_revision', '?')}, "
             f"{report.get('created_utc', '')}", ha="right", va="bottom", fontsize=7, color="0.45")


def grid(n, height_per_row=3.4, extra=1.2):
    cols = min(n, MAX_COLS)
    nrows = math.ceil(n / cols)
    fig, axs = plt.subplots(nrows, cols, figsize=(WIDTH_IN, height_per_row * nrows + extra), squeeze=False)
    for ax in axs.flat[n:]:
        ax.set_visible(False)
    return fig, list(axs.flat[:n])


# ---------------------------------------------------------------------------------------------
# Figures


def x_positions(rows, x_axis):
    """{cell_label: x} and tick (positions, labels): the axis value, or the cell's index."""
    if x_axis:
        pos = {r["cell_label"]: cell_axes(r["cell"])[x_axis] for r in rows}
        unit = axis_unit(rows, x_axis)
        ticks = sorted(set(pos.values()))
        return pos, ticks, [format_axis_value(t, unit) for t in ticks]
    labels = list(dict.fromkeys(r["cell_label"] for r in rows))
    return ({lab: i for i, lab in enumerate(labels)}, list(range(len(labels))),
            [lab.split("/", 1)[-1] for lab in labels])


def setup_x(ax, rows, x_axis, ticks, labels):
    if x_axis and spans_decades(ticks):
        ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticks(ticks)
    ax.set_xticklabels(labels, rotation=30 if len(ticks) > 4 else 0, ha="right" if len(ticks) > 4 else "center")
    unit = axis_unit(rows, x_axis) if x_axis else ""
    ax.set_xlabel(f"{x_axis} ({unit})" if x_axis and unit else (x_axis or "cell"))


def line_figure(report, workload, rows, metric_names, styles, what, fname):
    """Medians of metric_names against the x axis, a line per variant (and per metric)."""
    decls = declarations(report, workload)
    decl = decls[metric_names[0]]
    values = [r["metrics"][m]["median"] for r in rows for m in metric_names if has_data(r["metrics"].get(m))]
    if not values:
        return None
    unit, factor = display_scale(decl, values)
    x_axis, facet_axes = layout(rows)
    panels = facets(rows, facet_axes)
    fig, axs = grid(len(panels))
    variants = variants_in_order(report, rows)
    spreads, noisy_seen = set(), False
    for ax, (ftitle, frows) in zip(axs, panels):
        pos, ticks, labels = x_positions(frows, x_axis)
        for v in variants:
            color, marker = styles[v]
            for li, m in enumerate(metric_names):
                pts = sorted((pos[r["cell_label"]], r["metrics"][m]) for r in frows
                             if r["variant"] == v and has_data(r["metrics"].get(m)))
                if not pts:
                    continue
                xs = [p[0] for p in pts]
                meds = [p[1]["median"] * factor for p in pts]
                lo, hi = [], []
                for _, s in pts:
                    a, b, what_ = spread(s)
                    spreads.add(what_)
                    lo.append(max(s["median"] - a, 0) * factor)
                    hi.append(max(b - s["median"], 0) * factor)
                ax.errorbar(xs, meds, yerr=[lo, hi], color=color, marker=marker, linestyle=LINESTYLES[li % 4],
                            capsize=3, markersize=6, linewidth=1.6)
                for x, (_, s), y in zip(xs, pts, meds):
                    if s.get("noisy"):
                        noisy_seen = True
                        ax.plot([x], [y], marker=marker, markersize=9, markerfacecolor="white",
                                markeredgecolor=color, linestyle="none")
        setup_x(ax, frows, x_axis, ticks, labels)
        ax.set_ylabel(f"{metric_names[0] if len(metric_names) == 1 else 'latency'} ({unit})")
        if ftitle:
            ax.set_title(ftitle)
    shown = [r["metrics"][m]["median"] * factor for r in rows for m in metric_names
             if has_data(r["metrics"].get(m)) and r["metrics"][m]["median"] > 0]
    for ax in axs:
        if spans_decades(shown):
            ax.set_yscale("log")
        elif shown:
            ax.set_ylim(bottom=0)
    handles = [Line2D([], [], color=styles[v][0], marker=styles[v][1], label=v) for v in variants]
    if len(metric_names) > 1:
        handles += [Line2D([], [], color="0.3", linestyle=LINESTYLES[i % 4], label=m)
                    for i, m in enumerate(metric_names)]
    if noisy_seen:
        handles.append(Line2D([], [], color="0.3", marker="o", markerfacecolor="white", linestyle="none",
                              label="noisy row"))
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.955), ncol=min(len(handles), 6),
               frameon=False)
    spread_what = " or ".join(sorted(spreads, reverse=True)) or "IQR"   # "IQR or 95% CI...": rows differ
    fig.suptitle(title_of(report, f"{workload}, {what} (median; error bars: {spread_what} over repetitions)"))
    footer(fig, report)
    fig.tight_layout(rect=(0, 0.02, 1, 0.90))
    return fname, fig


def headline_rate(report, workload, override=None):
    decls = declarations(report, workload)
    if override:
        return override if override in decls else None
    for d in decls.values():
        if d.get("derivation") == "rate" and d.get("direction") == "higher" and d.get("headline"):
            return d["name"]
    for d in decls.values():
        if d.get("derivation") == "rate":
            return d["name"]
    return None


def latency_metrics(report, workload):
    decls = declarations(report, workload)
    pcts = [d for d in decls.values() if d.get("derivation") == "percentile"]
    head = [d["name"] for d in pcts if d.get("headline")]
    return head or [d["name"] for d in pcts][:2]


def merged_histograms(report, workload):
    """{(cell_label, variant): (sub_bits, {index: count}, max)} over every ok run."""
    out = {}
    for run in report["runs"]:
        h = (run.get("result") or {}).get("latency_ns")
        if run["status"] != "ok" or run["cell"]["workload"] != workload or not h or not h.get("count"):
            continue
        key = (run["cell"]["label"], run.get("variant", run["datapath"]))
        sub_bits, counts, mx = out.get(key, (h["sub_bits"], {}, 0))
        if sub_bits != h["sub_bits"]:
            continue
        for idx, c in h["buckets"]:
            counts[idx] = counts.get(idx, 0) + c
        out[key] = (sub_bits, counts, max(mx, h.get("max", 0)))
    return out


def bucket_high(i, s):
    """Upper bound (inclusive) of histogram bucket i, as Histogram::bucket_high."""
    if i < (1 << s):
        return i
    half = 1 << (s - 1)
    j = i - (1 << s)
    k = s + j // half
    low = (half + j % half) << (k - s + 1)
    return low + (1 << (k - s + 1)) - 1


def cdf_figure(report, workload, rows, styles, fname):
    hists = merged_histograms(report, workload)
    if not hists:
        return None
    cells = list(dict.fromkeys(r["cell_label"] for r in rows if any(k[0] == r["cell_label"] for k in hists)))
    fig, axs = grid(len(cells), height_per_row=2.9)
    variants = variants_in_order(report, rows)
    for ax, cell in zip(axs, cells):
        for v in variants:
            if (cell, v) not in hists:
                continue
            s, counts, mx = hists[(cell, v)]
            total = sum(counts.values())
            xs, ys, acc = [], [], 0
            for idx in sorted(counts):
                acc += counts[idx]
                xs.append(min(bucket_high(idx, s), mx) / 1e3)
                ys.append(acc / total)
            ax.step(xs, ys, where="post", color=styles[v][0], linewidth=1.6)
        ax.set_xscale("log")
        ax.set_ylim(0, 1.02)
        ax.set_title(cell.split("/", 1)[-1])
        ax.set_xlabel("round-trip latency (µs)")
        ax.set_ylabel("fraction of transactions ≤ x")
    handles = [Line2D([], [], color=styles[v][0], label=v) for v in variants]
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.955), ncol=len(handles), frameon=False)
    fig.suptitle(title_of(report, f"{workload}, latency CDF (every ok repetition's histogram merged)"))
    footer(fig, report)
    fig.tight_layout(rect=(0, 0.02, 1, 0.90))
    return fname, fig


def cpu_figure(report, workload, rows, styles, fname):
    """Busy CPU per unit of work, split by the CPU time kinds, one panel per variant."""
    decls = declarations(report, workload)
    per_unit = next((d for d in decls.values() if d.get("derivation") == "cpu_per_unit"), None)
    if not per_unit:
        return None
    name = per_unit["name"]
    rows = [r for r in rows if has_data(r["metrics"].get(name)) and has_data(r["metrics"].get("cpu_busy_s"))]
    if not rows:
        return None
    unit, factor = display_scale(per_unit, [r["metrics"][name]["median"] for r in rows])
    x_axis, facet_axes = layout(rows)
    panels = facets(rows, facet_axes)
    variants = variants_in_order(report, rows)
    nrows, ncols = len(panels), len(variants)
    # Totals a decade or more apart would leave the small bars invisible: then each bar shows the
    # split as shares of 100% and carries its total as a number.
    shares = spans_decades([r["metrics"][name]["median"] for r in rows])
    fig, axs = plt.subplots(nrows, ncols, figsize=(WIDTH_IN, 3.2 * nrows + 1.3), squeeze=False, sharey=True)
    top = 0.0
    for pi, (ftitle, frows) in enumerate(panels):
        for vi, v in enumerate(variants):
            ax = axs[pi][vi]
            vrows = [r for r in frows if r["variant"] == v]
            if x_axis:
                vrows.sort(key=lambda r: cell_axes(r["cell"])[x_axis])
                unit_x = axis_unit(frows, x_axis)
                labels = [format_axis_value(cell_axes(r["cell"])[x_axis], unit_x) for r in vrows]
            else:
                labels = [r["cell_label"].split("/", 1)[-1] for r in vrows]
            bottom = [0.0] * len(vrows)
            # Each kind's share of the row's CPU time; the medians of the kinds need not add up
            # to the median of busy, so the shares are of their own sum ("other": busy minus
            # the three, never below 0).
            split = []
            for r in vrows:
                m = r["metrics"]
                parts = [m[key]["median"] if key in m else 0 for _, key, _ in CPU_KINDS if key]
                parts.append(max(m["cpu_busy_s"]["median"] - sum(parts), 0))
                total = sum(max(p, 0) for p in parts)
                split.append([max(p, 0) / total if total > 0 else 0 for p in parts])
            for ki, (kind, key, color) in enumerate(CPU_KINDS):
                hs = [100 * sp[ki] if shares else r["metrics"][name]["median"] * factor * sp[ki]
                      for r, sp in zip(vrows, split)]
                ax.bar(range(len(vrows)), hs, bottom=bottom, color=color, width=0.7)
                bottom = [b + h for b, h in zip(bottom, hs)]
            for i, r in enumerate(vrows):
                ax.text(i, bottom[i], f"{r['metrics'][name]['median'] * factor:.3g}", ha="center", va="bottom",
                        fontsize=8)
            top = max([top, *bottom])
            ax.set_xticks(range(len(vrows)))
            ax.set_xticklabels(labels, rotation=30 if len(vrows) > 4 else 0,
                               ha="right" if len(vrows) > 4 else "center")
            ax.set_title(v + (f"\n{ftitle}" if ftitle else ""), color=styles[v][0] if v in styles else "black")
            if vi == 0:
                ax.set_ylabel(f"share of {name} (%)" if shares else f"{name} ({unit})")
            if x_axis:
                ax.set_xlabel(f"{x_axis} ({axis_unit(frows, x_axis)})")
    axs[0][0].set_ylim(0, (top or 1) * 1.12)   # shared: room for the bar labels
    handles = [Patch(color=c, label=k) for k, _, c in CPU_KINDS]
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.955), ncol=len(handles), frameon=False)
    what = (f"CPU per unit of work by kind (medians; labels: {unit})" if shares
            else "busy CPU per unit of work by kind (medians)")
    fig.suptitle(title_of(report, f"{workload}, {what}"))
    footer(fig, report)
    fig.tight_layout(rect=(0, 0.02, 1, 0.90))
    return fname, fig


def speedup_figure(report, rows, fname):
    """Direction-aware ratio to the baseline (above 1: better) of every headline metric."""
    workloads = list(dict.fromkeys(r["cell"]["workload"] for r in rows))
    panels = []
    for w in workloads:
        wrows = [r for r in rows if r["cell"]["workload"] == w]
        decls = declarations(report, w)
        metrics = [d for d in decls.values() if d.get("headline") and d.get("direction") in ("higher", "lower")]
        base = set(baselines_of(report).values())
        variants = [v for v in variants_in_order(report, wrows) if v not in base]
        cells = list(dict.fromkeys(r["cell_label"] for r in wrows))
        by = {(r["cell_label"], r["variant"]): r for r in wrows}
        def speedup(c, v, d):
            m = (by.get((c, v)) or {}).get("metrics", {}).get(d["name"])
            ratio = m.get("ratio_to_baseline") if has_data(m) else None
            if not ratio or ratio <= 0:
                return None
            return ratio if d["direction"] == "higher" else 1 / ratio

        # A column with no figure anywhere (a variant skipped in every cell) says nothing.
        cols = [(v, d) for d in metrics for v in variants if any(speedup(c, v, d) for c in cells)]
        if not cols or not cells:
            continue
        grid_ = [[speedup(c, v, d) for v, d in cols] for c in cells]
        panels.append((w, cells, cols, grid_))
    if not panels:
        return None
    heights = [max(len(p[1]), 1) * 0.42 + 1.6 for p in panels]
    fig, axs = plt.subplots(len(panels), 1, figsize=(WIDTH_IN, sum(heights) + 1.0), squeeze=False,
                            gridspec_kw={"height_ratios": heights}, layout="constrained")
    vals = [x for p in panels for line in p[3] for x in line if x]
    lim = max(1.25, min(max(max(vals), 1 / min(vals)), 100.0)) if vals else 2.0
    norm = TwoSlopeNorm(vmin=-math.log2(lim), vcenter=0, vmax=math.log2(lim))
    cmap = plt.get_cmap("RdYlGn").copy()
    cmap.set_bad("0.85")
    image = None
    for ax, (w, cells, cols, grid_) in zip(axs[:, 0], panels):
        data = [[math.log2(x) if x else float("nan") for x in line] for line in grid_]
        image = ax.imshow(data, cmap=cmap, norm=norm, aspect="auto")
        for i, line in enumerate(grid_):
            for j, x in enumerate(line):
                txt = "n/a" if x is None else (f"×{x:.2f}" if x < 10 else f"×{x:.0f}")
                ax.text(j, i, txt, ha="center", va="center", fontsize=8,
                        color="white" if x and abs(math.log2(x)) > 0.7 * math.log2(lim) else "black")
        ax.set_xticks(range(len(cols)))
        ax.xaxis.tick_top()
        ax.set_xticklabels([f"{v}\n{d['name']}" for v, d in cols], fontsize=8,
                           rotation=20 if len(cols) > 5 else 0, ha="left" if len(cols) > 5 else "center")
        ax.set_yticks(range(len(cells)))
        ax.set_yticklabels([c.split("/", 1)[-1] for c in cells], fontsize=8)
        ax.set_ylabel(w)
        ax.grid(False)
    bar = fig.colorbar(image, ax=axs[:, 0].tolist(), fraction=0.03, pad=0.01)
    ratios = ([1 / 100, 1 / 10, 1 / 4, 1 / 2, 1, 2, 4, 10, 100] if lim > 3 else
              [1 / 2, 1 / 1.5, 1 / 1.25, 1, 1.25, 1.5, 2])
    ticks = [r for r in ratios if abs(math.log2(r)) <= math.log2(lim) + 1e-9]
    bar.set_ticks([math.log2(r) for r in ticks])
    bar.set_ticklabels([f"×{r:.2g}" for r in ticks])
    bar.set_label("speed-up over the baseline (above 1: better)")
    fig.suptitle(title_of(report, "speed-up over the baseline per cell and headline metric (medians)"))
    footer(fig, report)
    return fname, fig


def make_figures(report, metric=None):
    """[(name, Figure)] for the report; names are file-name safe."""
    rows = summary_rows(report)
    styles = variant_styles(report)
    out = []
    for w in dict.fromkeys(r["cell"]["workload"] for r in rows):
        wrows = [r for r in rows if r["cell"]["workload"] == w]
        rate = headline_rate(report, w, metric)
        if rate:
            out.append(line_figure(report, w, wrows, [rate], styles, rate, f"rate-{w}"))
        lat = latency_metrics(report, w)
        if lat:
            out.append(line_figure(report, w, wrows, lat, styles, "latency percentiles", f"latency-{w}"))
            out.append(cdf_figure(report, w, wrows, styles, f"cdf-{w}"))
        out.append(cpu_figure(report, w, wrows, styles, f"cpu-{w}"))
    out.append(speedup_figure(report, rows, "speedup"))
    return [x for x in out if x]


def write_figures(report, stem, formats=("png", "svg"), metric=None):
    paths = []
    for name, fig in make_figures(report, metric):
        for fmt in formats:
            path = f"{stem}-{name}.{fmt}"
            fig.savefig(path, dpi=DPI, format=fmt)
            paths.append(path)
        plt.close(fig)
    return paths


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("report", help="report JSON written by benchlab")
    p.add_argument("out", help="output stem: figures are written as <out>-<figure>.<format>")
    p.add_argument("--format", default="png,svg", help="comma-separated: png, svg, pdf (default png,svg)")
    p.add_argument("--metric", help="the metric of the rate figures instead of the workload's headline rate")
    args = p.parse_args(argv)
    formats = [f for f in args.format.split(",") if f]
    bad = [f for f in formats if f not in ("png", "svg", "pdf")]
    if bad or not formats:
        sys.exit(f"plot.py: --format {args.format}: unknown format {', '.join(bad) or '(none)'} (png, svg, pdf)")
    try:
        report = load_report(args.report)
    except ReportError as e:
        sys.exit(str(e))
    if not report["runs"]:
        sys.exit(f"{args.report}: no runs to plot")
    stem = args.out
    if os.path.splitext(stem)[1].lower() in (".png", ".svg", ".pdf"):
        stem = os.path.splitext(stem)[0]
    os.makedirs(os.path.dirname(os.path.abspath(stem)), exist_ok=True)
    try:
        paths = write_figures(report, stem, formats, args.metric)
    except OSError as e:
        sys.exit(f"plot.py: cannot write figures at {stem}: {e}")
    except (KeyError, TypeError, ValueError) as e:
        sys.exit(f"{args.report}: malformed report: {type(e).__name__}: {e}")
    for path in paths:
        print(path)


if __name__ == "__main__":
    main(sys.argv[1:])

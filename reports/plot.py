#!/usr/bin/python3
"""Bar charts of a benchlab report: one PNG per workload.

    /usr/bin/python3 reports/plot.py REPORT.json OUT.png [--metric NAME]

writes OUT-<workload>.png next to OUT.png. Each chart has one bar group per cell (message size,
flows, CPU placement), one bar per datapath, the median over repetitions as the bar and the
interquartile range as the error bar; non-baseline bars carry their ratio to the baseline.

The main metric is transactions/s for request/response workloads (any cell with transactions)
and throughput otherwise; --metric picks any DerivedRun field instead (see reports/README.md).
Only the report's own figures are drawn (its "summary", or its runs' "derived" figures when the
summary is absent); nothing is re-measured or smoothed.
"""

import argparse
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

SUPPORTED_SCHEMA = 2

# metric -> (axis label, scale applied to the stored value)
UNITS = {
    "throughput_bps": ("throughput, Gbit/s", 1e-9),
    "messages_per_s": ("messages/s", 1.0),
    "transactions_per_s": ("transactions/s", 1.0),
    "cpu_s_per_gb": ("CPU s per GB", 1.0),
    "cpu_us_per_transaction": ("CPU µs per transaction", 1.0),
}


def quantile(xs, q):
    """Type 7 (linear interpolation), as benchlab::stats::quantile and numpy's default."""
    xs = sorted(xs)
    h = (len(xs) - 1) * q
    lo = int(h)
    if lo + 1 >= len(xs):
        return xs[-1]
    return xs[lo] + (h - lo) * (xs[lo + 1] - xs[lo])


def baseline_of(report):
    """The baseline datapath (version 2: per traffic kind; every socket workload is "stream")."""
    summary = report.get("summary", {})
    if "baselines" in summary:
        return next(iter(summary["baselines"].values()), "kernel")
    return summary.get("baseline_datapath", "kernel")


def cell_axes(cell):
    """The cell's axis values: version 2 keeps them under "axes", version 1 as fields."""
    if "axes" in cell:
        return cell["axes"]
    return {"message_size": cell.get("message_size_bytes"), "flows": cell.get("flows"),
            "cpu_placement": cell.get("cpu_placement")}


def summary_rows(report):
    """The report's summary rows, or rows rebuilt from the runs' derived figures."""
    summary = report.get("summary", {})
    if summary.get("rows"):
        rows = summary["rows"]
        for row in rows:   # version 1 rows name no variant
            row.setdefault("variant", row["datapath"])
        return rows, baseline_of(report)
    baseline = baseline_of(report)
    groups = {}
    for run in report["runs"]:
        key = (run["cell"]["label"], run.get("variant", run["datapath"]))
        row = groups.setdefault(key, {"cell_label": key[0], "cell": run["cell"], "datapath": run["datapath"],
                                      "variant": key[1],
                                      "ok_runs": 0, "failed_runs": 0, "skipped_runs": 0, "values": {}})
        row[run["status"] + "_runs"] += 1
        if run["status"] != "ok":
            continue
        for name, v in run["derived"].items():
            row["values"].setdefault(name, []).append(v)
    rows = list(groups.values())
    for row in rows:
        row["metrics"] = {}
        for name, xs in row["values"].items():
            row["metrics"][name] = {"n": len(xs), "median": quantile(xs, 0.5), "q1": quantile(xs, 0.25),
                                    "q3": quantile(xs, 0.75)}
    for row in rows:
        base = groups.get((row["cell_label"], baseline))
        for name, m in row["metrics"].items():
            b = base["metrics"].get(name) if base else None
            m["ratio_to_baseline"] = m["median"] / b["median"] if b and b["median"] else None
    return rows, baseline


def main_metric(rows):
    for row in rows:
        if row["metrics"].get("transactions_per_s", {}).get("median", 0) > 0:
            return "transactions_per_s"
    return "throughput_bps"


def plot_workload(report, workload, rows, baseline, metric, path):
    cells = sorted({r["cell_label"]: r["cell"] for r in rows}.items(),
                   key=lambda kv: tuple(str(v).zfill(12) for v in cell_axes(kv[1]).values()))
    datapaths = [d for d in report["scenario"].get("datapaths", []) if any(r["variant"] == d for r in rows)]
    datapaths += [d for d in dict.fromkeys(r["variant"] for r in rows) if d not in datapaths]
    datapaths.sort(key=lambda d: d != baseline)   # stable: baseline first, then scenario order
    label, scale = UNITS.get(metric, (metric, 1.0))
    by_key = {(r["cell_label"], r["variant"]): r for r in rows}

    colors = {dp: plt.get_cmap("tab10")(i % 10) for i, dp in enumerate(datapaths)}
    width = 0.8 / max(len(datapaths), 1)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(cells) * max(len(datapaths), 1) * 0.6 + 2), 4.5))
    top = 0.0
    for i, dp in enumerate(datapaths):
        xs, heights, err_lo, err_hi, notes = [], [], [], [], []
        for c, (cell_label, _) in enumerate(cells):
            row = by_key.get((cell_label, dp))
            x = c + (i - (len(datapaths) - 1) / 2) * width
            m = row["metrics"].get(metric) if row else None
            if not m or m["n"] == 0:
                # Failed or skipped everywhere in this cell: say so instead of drawing a zero.
                why = "skipped" if row and row.get("skipped_runs") else "no data"
                ax.text(x, 0, why, rotation=90, ha="center", va="bottom", fontsize=7, color="0.4")
                continue
            med = m["median"] * scale
            xs.append(x)
            heights.append(med)
            err_lo.append(med - m["q1"] * scale)
            err_hi.append(m["q3"] * scale - med)
            top = max(top, m["q3"] * scale)
            ratio = m.get("ratio_to_baseline") or 0
            notes.append(f"×{ratio:.2f}\nn={m['n']}" if dp != baseline and ratio > 0 else f"n={m['n']}")
        bars = ax.bar(xs, heights, width, yerr=[err_lo, err_hi] if xs else None, capsize=3, color=colors[dp])
        for bar, note, hi in zip(bars, notes, err_hi):
            ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height() + hi, note,
                    ha="center", va="bottom", fontsize=7)

    ax.set_xlim(-0.5, len(cells) - 0.5)
    ax.set_xticks(range(len(cells)))
    ax.set_xticklabels([label_.split("/", 1)[1] if "/" in label_ else label_ for label_, _ in cells])
    ax.set_xlabel(" / ".join(cell_axes(cells[0][1]).keys()) if cells else "cell")
    ax.set_ylabel(label)
    if top > 0:
        ax.set_ylim(0, top * 1.15)
    name = report["scenario"].get("name") or "report"
    ax.set_title(f"{name}: {workload} — {label} (median, IQR error bars)", fontsize=10)
    # Built by hand so a datapath that never produced a bar still has its entry and colour.
    ax.legend(handles=[Patch(color=colors[dp], label=dp) for dp in datapaths], fontsize=8)
    fig.text(0.99, 0.01, f"benchlab {report.get('benchlab_version', '?')} @ {report.get('git_revision', '?')}, "
             f"{report.get('created_utc', '')}", ha="right", va="bottom", fontsize=6, color="0.5")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("report", help="report JSON written by benchlab")
    p.add_argument("out", help="output path; charts are written as <out stem>-<workload>.png beside it")
    p.add_argument("--metric", help="DerivedRun field to draw instead of the main metric")
    args = p.parse_args(argv)

    try:
        with open(args.report) as f:
            report = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"{args.report}: cannot read report: {e}")
    version = report.get("schema_version")
    if not isinstance(version, int):
        sys.exit(f"{args.report}: not a benchlab report (no schema_version)")
    if version > SUPPORTED_SCHEMA:
        sys.exit(f"{args.report}: report schema_version {version} is newer than this script understands "
                 f"({SUPPORTED_SCHEMA})")

    rows, baseline = summary_rows(report)
    stem, _ = os.path.splitext(args.out)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    workloads = list(dict.fromkeys(r["cell"]["workload"] for r in rows))
    if not workloads:
        sys.exit(f"{args.report}: no runs to plot")
    for workload in workloads:
        wrows = [r for r in rows if r["cell"]["workload"] == workload]
        metric = args.metric or main_metric(wrows)
        path = f"{stem}-{workload}.png"
        plot_workload(report, workload, wrows, baseline, metric, path)
        print(path)


if __name__ == "__main__":
    main(sys.argv[1:])

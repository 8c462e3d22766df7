"""What people look at: figures, the HTML page in headless Chromium, the CSV and the
Google-Benchmark export read by google/benchmark's compare.py.

The reports read here are real: tests/data/real_sockmap_report.json and
real_sockmap_rr_report.json were written by short `benchlab run scenarios/sockmap.toml` runs
(see reports/README.md for the commands); test_run_writes_plots_and_html makes a run of its own
(root only). Run by ctest (label python) with BENCHLAB (the binary) and BENCHLAB_SOURCE_DIR set.
"""

import base64
import csv
import html.parser
import json
import os
import re
import shutil
import struct
import subprocess
import sys

import pytest

SRC = os.environ.get("BENCHLAB_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "../../..")))
sys.path.insert(0, os.path.join(SRC, "reports"))
import plot  # noqa: E402

BENCHLAB = os.environ.get("BENCHLAB", os.path.join(SRC, "build/harness/benchlab"))
DATA = os.path.join(SRC, "reports/tests/data")
REAL = os.path.join(DATA, "real_sockmap_report.json")
REAL_RR = os.path.join(DATA, "real_sockmap_rr_report.json")
PY = "/usr/bin/python3"
CHROMIUM = "/usr/bin/chromium"


def load(path=REAL):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def png_size(path_or_bytes):
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else open(path_or_bytes, "rb").read(32)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def benchlab(*args, check=True):
    p = subprocess.run([BENCHLAB, *args], capture_output=True, text=True, timeout=300)
    if check and p.returncode != 0:
        raise AssertionError(f"benchlab {' '.join(args)} exited {p.returncode}:\n{p.stderr}")
    return p


# ------------------------------------------------------------------------------------------------
# Figures


def test_figures_cover_the_report_and_read_at_page_width(tmp_path):
    report = load()
    paths = plot.write_figures(report, str(tmp_path / "r"), ("png", "svg"))
    names = {os.path.basename(p) for p in paths}
    for w in ("tcp_stream", "tcp_rr"):
        for kind in ("rate", "cpu"):
            assert f"r-{kind}-{w}.png" in names and f"r-{kind}-{w}.svg" in names
    for kind in ("latency", "cdf"):
        assert f"r-{kind}-tcp_rr.png" in names
        assert f"r-{kind}-tcp_stream.png" not in names, "a stream workload has no latency"
    assert "r-speedup.png" in names and "r-speedup.svg" in names
    for p in paths:
        if p.endswith(".png"):
            w, h = png_size(p)
            assert w == 1200, f"{p} is {w} px wide"
            assert 300 < h < 1600, f"{p} is {h} px tall"
        else:
            text = open(p, encoding="utf-8").read()
            # Self-contained: text drawn as paths (no fonts), a heatmap's raster inline (data: URI).
            assert "<svg" in text and "@font-face" not in text and "<text" not in text
            assert not re.search(r'(xlink:)?href="(?!data:|#)', text), f"{p} refers to something outside it"


def test_every_figure_has_title_units_and_legend():
    report = load()
    host = report["context"]["hostname"]
    figures = dict(plot.make_figures(report))
    for name, fig in figures.items():
        title = fig._suptitle.get_text()
        assert report["scenario"]["name"] in title and host in title, (name, title)
        assert fig.legends or name == "speedup", f"{name} has no legend"
        for ax in fig.axes:
            if not ax.get_visible() or name == "speedup":
                continue
            assert ax.get_xlabel(), f"{name}: an axis without x label"
            if name.startswith(("rate", "latency", "cpu")) and ax.get_ylabel():
                assert re.search(r"\(.+\)$", ax.get_ylabel()), f"{name}: y label without unit: {ax.get_ylabel()}"
    # sockmap-skb's stream throughput is two decades below the kernel's: log scales there.
    rate = figures["rate-tcp_stream"].axes[0]
    assert rate.get_yscale() == "log" and rate.get_xscale() == "log"
    assert "Gbit/s" in rate.get_ylabel()
    speed = figures["speedup"]
    labels = [t.get_text() for ax in speed.axes for t in ax.texts]
    assert any(t.startswith("×") for t in labels)
    for fig in figures.values():
        plot.plt.close(fig)


def error_bar_ends(fig):
    """The (low, high) ends of every error bar of the first panel."""
    from matplotlib.container import ErrorbarContainer
    ends = []
    for c in fig.axes[0].containers:
        if isinstance(c, ErrorbarContainer):
            for seg in c.lines[2][0].get_segments():
                ends.append((round(float(seg[0][1]), 9), round(float(seg[1][1]), 9)))
    return ends


def rr_rows(report):
    rows = plot.summary_rows(report)
    return [r for r in rows if r["cell"]["workload"] == "tcp_rr"]


def test_error_bars_come_from_the_ci_when_present_else_the_iqr():
    report = load()
    rows = rr_rows(report)
    styles = plot.variant_styles(report)
    row = next(r for r in rows if r["variant"] == "kernel")
    m = row["metrics"]["transactions_per_s"]
    _, fig = plot.line_figure(report, "tcp_rr", rows, ["transactions_per_s"], styles, "x", "f")
    decl = plot.declarations(report, "tcp_rr")["transactions_per_s"]
    _, factor = plot.display_scale(decl, [r["metrics"]["transactions_per_s"]["median"] for r in rows])
    iqr = (round(m["q1"] * factor, 9), round(m["q3"] * factor, 9))
    assert iqr in error_bar_ends(fig), "IQR error bars without a CI"
    plot.plt.close(fig)
    m["ci_low"], m["ci_high"] = m["median"] * 0.5, m["median"] * 1.25
    _, fig = plot.line_figure(report, "tcp_rr", rows, ["transactions_per_s"], styles, "x", "f")
    ends = error_bar_ends(fig)
    assert (round(m["ci_low"] * factor, 9), round(m["ci_high"] * factor, 9)) in ends
    assert iqr not in ends
    assert "95% CI" in fig._suptitle.get_text()
    plot.plt.close(fig)


def test_noisy_rows_are_marked():
    report = load()
    rows = rr_rows(report)
    styles = plot.variant_styles(report)
    _, fig = plot.line_figure(report, "tcp_rr", rows, ["transactions_per_s"], styles, "x", "f")
    assert "noisy row" not in [t.get_text() for t in fig.legends[0].get_texts()]
    plot.plt.close(fig)
    rows[0]["metrics"]["transactions_per_s"]["noisy"] = True
    _, fig = plot.line_figure(report, "tcp_rr", rows, ["transactions_per_s"], styles, "x", "f")
    assert "noisy row" in [t.get_text() for t in fig.legends[0].get_texts()]
    plot.plt.close(fig)


def test_cdf_is_the_merged_histograms():
    report = load()
    hists = plot.merged_histograms(report, "tcp_rr")
    for (cell, variant), (_, counts, _) in hists.items():
        ok = [r for r in report["runs"] if r["cell"]["label"] == cell and r.get("variant") == variant
              and r["status"] == "ok"]
        assert sum(counts.values()) == sum(r["result"]["latency_ns"]["count"] for r in ok)


def test_plot_cli_errors_are_one_line(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    p = subprocess.run([PY, os.path.join(SRC, "reports/plot.py"), str(bad), str(tmp_path / "x")],
                       capture_output=True, text=True)
    assert p.returncode != 0 and p.stderr.count("\n") == 1 and str(bad) in p.stderr
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({"schema_version": 99, "runs": [], "scenario": {}}))
    p = subprocess.run([PY, os.path.join(SRC, "reports/plot.py"), str(newer), str(tmp_path / "x")],
                       capture_output=True, text=True)
    assert p.returncode != 0 and "newer" in p.stderr and p.stderr.count("\n") == 1


# ------------------------------------------------------------------------------------------------
# HTML in headless Chromium


class Dom(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.imgs, self.tables, self.external, self.text = [], set(), [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a.get("src", ""))
        if tag == "table" and a.get("id"):
            self.tables.add(a["id"])
        for k in ("src", "href"):
            v = a.get(k) or ""
            if re.match(r"^(https?:)?//", v) or (tag in ("script", "link") and v):
                self.external.append((tag, v))

    def handle_data(self, data):
        self.text.append(data)


def chromium(*args):
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} missing (Debian package chromium, in ci/setup.sh)")
    p = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--no-first-run", "--disable-background-networking", "--disable-component-update",
                        "--disable-extensions", "--disable-sync", *args],
                       capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stderr[-2000:]
    return p.stdout


def colored_pixels(png):
    import matplotlib.image
    img = matplotlib.image.imread(png)[:, :, :3]
    mx, mn = img.max(axis=2), img.min(axis=2)
    return int(((mx - mn) > 0.25).sum())   # saturated: figure lines, bars, heatmap; not text or tables


def test_html_renders_with_figures_and_tables_in_chromium(tmp_path):
    report = load()
    out = tmp_path / "report.html"
    benchlab("report", REAL, "--html", str(out))
    page = out.read_text(encoding="utf-8")
    # One Chromium start: the DOM it built on stdout, and the screenshot.
    shot = tmp_path / "shot.png"
    dom_text = chromium("--window-size=1280,6000", f"--screenshot={shot}", "--dump-dom", out.as_uri())
    dom = Dom()
    dom.feed(dom_text)
    assert not dom.external, f"loads from elsewhere: {dom.external}"
    assert "<script" not in page and "@import" not in page and "url(" not in page
    pngs = [s for s in dom.imgs if s.startswith("data:image/png;base64,")]
    assert len(pngs) == len(dom.imgs) == 7, f"{len(dom.imgs)} figures"
    for s in pngs:
        assert png_size(base64.b64decode(s.split(",", 1)[1])[:32])[0] == 1200
    for t in ("summary-tcp_stream", "summary-tcp_rr", "checks", "bpf-programs"):
        assert t in dom.tables, f"table {t} missing"
    text = " ".join(dom.text)
    for v in ("kernel", "sockmap-msg", "sockmap-skb", report["context"]["hostname"], "preemption", "bpf_jit",
              "mitigations"):
        assert v in text, f"{v} not on the page"
    # Every summary row is in the table.
    assert dom_text.count("<tr class=") == len(report["summary"]["rows"])
    # The screenshot shows the figures: their colours. Measured on this report at 1280x6000: the
    # page 655 000 saturated pixels, the same page without its <img> tags 16 000 (links, ratios).
    assert png_size(str(shot)) == (1280, 6000)
    assert colored_pixels(shot) > 200_000, "the figures did not render"


def test_html_marks_noisy_rows_and_names_the_spread():
    import html_report
    report = load()
    rows = plot.summary_rows(report)
    page = html_report.summary_html(report, rows)
    assert page.count('<tr class="noisy') == 0 and "interquartile range" in page
    m = rows[3]["metrics"]["throughput_bps"]
    m["noisy"], m["cv_pct"], m["ci_low"], m["ci_high"] = True, 12.5, m["median"] * 0.9, m["median"] * 1.1
    page = html_report.summary_html(report, rows)
    assert page.count('<tr class="noisy') == 1 and "~ noisy" in page and "95% CI of the median" in page
    assert "cv 12.5%" in page


def test_html_of_a_malformed_report_is_one_line(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": 2}')
    p = benchlab("report", str(bad), "--html", str(tmp_path / "x.html"), check=False)
    assert p.returncode == 3 and p.stderr.count("\n") == 1 and str(bad) in p.stderr
    assert not (tmp_path / "x.html").exists()
    p = benchlab("report", REAL, "--html", str(tmp_path / "no/such/dir/x.html"), check=False)
    assert p.returncode == 1 and "x.html" in p.stderr.splitlines()[-1]


# ------------------------------------------------------------------------------------------------
# CSV and Google-Benchmark JSON


def test_csv_has_the_rows_the_report_implies(tmp_path):
    report = load()
    out = tmp_path / "r.csv"
    benchlab("report", REAL, "--csv", str(out))
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    m = report["metrics"]
    implied = sum(len(m["common"]) + len(m["workloads"][r["cell"]["workload"]]) +
                  len(m["datapaths"].get(r["datapath"], [])) for r in report["runs"])
    assert len(rows) == implied
    assert {"cell", "datapath", "repetition", "metric", "unit", "value", "message_size"} <= set(rows[0])
    # Values are the runs' derived figures, in the metric's unit.
    for run in report["runs"][:6]:
        mine = {r["metric"]: r for r in rows if r["cell"] == run["cell"]["label"] and r["variant"] == run["variant"]
                and int(r["repetition"]) == run["repetition"]}
        assert set(mine) == set(run["derived"])
        for k, v in run["derived"].items():
            assert float(mine[k]["value"]) == pytest.approx(v, rel=1e-12, abs=1e-12)
    assert {r["unit"] for r in rows if r["metric"] == "throughput_bps"} == {"bit/s"}


def test_compare_py_reads_two_exported_reports(tmp_path):
    compare = shutil.which("compare.py", path="/usr/share/benchmark")
    assert compare, "libbenchmark-tools' compare.py missing (dpkg -L libbenchmark-tools)"
    a, b, diff = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "diff.json"
    benchlab("report", REAL, "--gbench-json", str(a))
    benchlab("report", REAL_RR, "--gbench-json", str(b))
    p = subprocess.run([PY, compare, "--no-color", "-d", str(diff), "benchmarks", str(a), str(b)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    result = json.loads(diff.read_text())
    names = {r["name"] for r in result}
    name = "tcp_rr/64B/1flow/same-core/sockmap-msg/p50_us"
    assert name in names and "tcp_rr/64B/1flow/same-core/kernel/ns_per_transaction" in names
    assert not any("tcp_stream" in n for n in names), "only the benchmarks both reports have are compared"
    # compare.py's relative change of the medians is ours.
    med = {}
    for path in (a, b):
        for x in json.loads(path.read_text())["benchmarks"]:
            if x["run_type"] == "aggregate" and x["run_name"] == name:
                med[path] = x["real_time"]
    entry = next(r for r in result if r["name"] == name + "_median")
    assert entry["measurements"][0]["time"] == pytest.approx((med[b] - med[a]) / med[a])
    assert "sockmap-msg/p50_us" in p.stdout


# ------------------------------------------------------------------------------------------------
# A short real run writes its figures and page beside the report (root: builds a namespace)


def test_run_writes_plots_and_html(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root (benchlab run)")
    p = benchlab("run", os.path.join(SRC, "scenarios/sockmap.toml"), "--out", str(tmp_path), "--quiet", "--plot",
                 "--html", "--set", "duration_s=0.2", "--set", "warmup_s=0.1", "--set", "repetitions=2",
                 "--set", 'datapaths=["kernel", "sockmap-msg"]', "--set", 'workloads=["tcp_rr"]',
                 "--set", "matrix.message_size=[64, 1024]", "--set", 'matrix.cpu_placement=["same-core"]')
    reports = [f for f in os.listdir(tmp_path) if f.endswith(".json")]
    assert len(reports) == 1
    stem = os.path.join(tmp_path, reports[0][:-5])
    for f in ("-rate-tcp_rr.png", "-rate-tcp_rr.svg", "-latency-tcp_rr.png", "-cdf-tcp_rr.png", "-cpu-tcp_rr.png",
              "-speedup.png", ".html"):
        assert os.path.getsize(stem + f) > 1000, f
    assert f"html: {stem}.html" in p.stdout
    dom = Dom()
    dom.feed(chromium("--dump-dom", f"file://{stem}.html"))
    assert len([s for s in dom.imgs if s.startswith("data:image/png;base64,")]) == 5   # rate, latency, cdf, cpu, speed-up
    assert "summary-tcp_rr" in dom.tables and "bpf-programs" in dom.tables
    report = load(stem + ".json")
    progs = report["context"]["bpf_programs"]
    assert progs and all(x["variant"] == "sockmap-msg" for x in progs)
    assert all(x["verified_insns"] > 0 and len(x["tag"]) == 16 and x["loads"] == 4 for x in progs), progs
    assert report["context"]["bpf_jit"]["enable"] != "" and report["context"]["preemption"]["model"]

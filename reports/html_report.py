#!/usr/bin/python3
"""One self-contained HTML page of a benchlab report.

    /usr/bin/python3 reports/html_report.py REPORT.json OUT.html

The page holds the figures of plot.py (PNG, embedded as data: URIs), a table of every summary
row with its ratios to the baseline and its spread, the engagement and payload checks, the
failed and skipped runs with their reasons, the datapaths that did not run and why, and the
environment the report recorded (kernel, CPU, mitigations, BPF JIT settings, the BPF programs
the run loaded, sysctls, pinning, offloads). Nothing is loaded from the network: no external
fonts, scripts or style sheets. `benchlab report REPORT --html OUT` runs this on the report
with its summary recomputed from the raw runs.
"""

import base64
import html
import io
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plot  # noqa: E402

CSS = """
body { font-family: sans-serif; margin: 1.5em auto; max-width: 1240px; color: #222; line-height: 1.35; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; margin-top: 1.6em; }
.meta { color: #555; font-size: 0.9em; } nav a { margin-right: 1em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ddd; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f2f2f2; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.wide { overflow-x: auto; } .spread { color: #777; font-size: 0.85em; }
.better { color: #1a7f37; } .worse { color: #b3261e; }
tr.noisy td { background: #fff6d6; } td.noisy::after { content: " ~"; color: #a06b00; font-weight: bold; }
tr.baseline td { background: #f7f7f7; }
.banner { background: #fde2e1; border: 1px solid #b3261e; padding: 0.6em; margin: 1em 0; }
.bad { color: #b3261e; font-weight: bold; } .ok { color: #1a7f37; }
figure { margin: 1em 0; } figure img { width: 100%; max-width: 1200px; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #555; } pre { background: #f7f7f7; padding: 0.6em; overflow-x: auto; }
"""


def esc(x):
    return html.escape(str(x), quote=True)


def fmt_num(v):
    if v is None:
        return "–"
    a = abs(v)
    if a == 0:
        return "0"
    if a >= 1e5 or a < 1e-3:
        return f"{v:.3g}"
    if a >= 100:
        return f"{v:.0f}"
    return f"{v:.3g}"


def kv_table(pairs, cls=""):
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in pairs)
    return f'<table class="{cls}">{rows}</table>'


def flat(prefix, obj):
    """[(dotted key, value)] of a nested object, for environment tables."""
    if isinstance(obj, dict):
        out = []
        for k, v in obj.items():
            out += flat(f"{prefix}.{k}" if prefix else str(k), v)
        return out
    if isinstance(obj, list) and obj and all(isinstance(x, dict) for x in obj):
        return [(prefix, json.dumps(obj, ensure_ascii=False))]
    return [(prefix, obj if not isinstance(obj, list) else ", ".join(map(str, obj)))]


def figures_html(report):
    out = []
    for name, fig in plot.make_figures(report):
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=plot.DPI)
        plot.plt.close(fig)
        data = base64.b64encode(buf.getvalue()).decode("ascii")
        title = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) else name
        out.append(f'<figure id="fig-{esc(name)}"><img class="figure" alt="{esc(title)}" '
                   f'src="data:image/png;base64,{data}"><figcaption>{esc(name)}: {esc(title)}</figcaption></figure>')
    return "\n".join(out)


def metric_cell(m, decl, unit_label, factor, is_baseline):
    if not plot.has_data(m):
        return '<td class="num">–</td>'
    lo, hi, what = plot.spread(m)
    ratio = m.get("ratio_to_baseline")
    ratio_html = ""
    if ratio and not is_baseline:
        good = (ratio > 1) == (decl.get("direction") == "higher") if decl.get("direction") in ("higher", "lower") else None
        cls = "" if good is None or abs(ratio - 1) < 0.01 else ("better" if good else "worse")
        ratio_html = f' <span class="{cls}">×{ratio:.2f}</span>'
    extra = f" cv {m['cv_pct']:.1f}%" if m.get("cv_pct") is not None else ""
    noisy = " noisy" if m.get("noisy") else ""
    title = f"{what}: {fmt_num(lo)}–{fmt_num(hi)} {decl.get('unit', '')}, n={m['n']}{extra}"
    return (f'<td class="num{noisy}" title="{esc(title)}">{fmt_num(m["median"] * factor)}{ratio_html}'
            f'<br><span class="spread">{fmt_num(lo * factor)}–{fmt_num(hi * factor)}{esc(extra)}</span></td>')


def summary_html(report, rows):
    out = []
    baselines = set(plot.baselines_of(report).values())
    for w in dict.fromkeys(r["cell"]["workload"] for r in rows):
        wrows = [r for r in rows if r["cell"]["workload"] == w]
        names = []
        for r in wrows:
            for n in r["metrics"]:
                if n not in names and n not in ("window_s", "cpu_idle_s"):
                    names.append(n)
        decls = {}
        for r in wrows:
            decls.update(plot.declarations(report, w, r["datapath"]))
        scales = {}
        for n in names:
            vals = [r["metrics"][n]["median"] for r in wrows if plot.has_data(r["metrics"].get(n))]
            scales[n] = plot.display_scale(decls.get(n, {"unit": ""}), vals)
        head = "".join(f'<th title="{esc(decls.get(n, {}).get("doc", ""))}">{esc(n)}<br>'
                       f'<span class="spread">{esc(scales[n][0])}</span></th>' for n in names)
        body = []
        for r in wrows:
            noisy = any((m or {}).get("noisy") for m in r["metrics"].values())
            is_base = r["variant"] in baselines or r.get("baseline") == r["variant"]
            cls = " ".join(c for c in ("noisy" if noisy else "", "baseline" if is_base else "") if c)
            runs = f'{r.get("ok_runs", 0)}/{r.get("failed_runs", 0)}/{r.get("skipped_runs", 0)}'
            cells = "".join(metric_cell(r["metrics"].get(n), decls.get(n, {}), *scales[n], is_base) for n in names)
            body.append(f'<tr class="{cls}"><td>{esc(r["cell_label"].split("/", 1)[-1])}</td><td>{esc(r["variant"])}'
                        f'{" (baseline)" if is_base else ""}{" <b>~ noisy</b>" if noisy else ""}</td>'
                        f'<td class="num">{runs}</td>{cells}</tr>')
        spread_what = "95% CI of the median" if any(
            m.get("ci_low") is not None for r in wrows for m in r["metrics"].values()) else "interquartile range"
        out.append(f'<h3>{esc(w)}</h3><p class="meta">Median over ok repetitions, ratio to the baseline of the cell '
                   f'(green: better, red: worse, by the metric\'s direction), and below it the {spread_what}. '
                   f'Runs: ok/failed/skipped. Rows marked ~ are noisy.</p>'
                   f'<div class="wide"><table class="summary" id="summary-{esc(w)}"><tr><th>cell</th><th>datapath</th>'
                   f'<th>runs</th>{head}</tr>{"".join(body)}</table></div>')
    return "\n".join(out)


def checks_html(report):
    groups = {}
    for run in report["runs"]:
        key = (run["cell"]["label"], run.get("variant", run["datapath"]))
        g = groups.setdefault(key, {"runs": 0, "eng_checked": 0, "eng_ok": 0, "share": None, "pay_checked": 0,
                                    "pay_errors": 0, "skipped": 0})
        g["runs"] += 1
        if run["status"] == "skipped":
            g["skipped"] += 1
            continue
        e = run.get("engagement") or {}
        if e.get("checked"):
            g["eng_checked"] += 1
            g["eng_ok"] += bool(e.get("ok"))
            s = e.get("carried_share")
            if s is not None:
                g["share"] = s if g["share"] is None else min(g["share"], s)
        res = run.get("result") or {}
        if res.get("payload_checked"):
            g["pay_checked"] += 1
        g["pay_errors"] += res.get("payload_errors", 0) or 0
    body = []
    for (cell, v), g in groups.items():
        ran = g["runs"] - g["skipped"]
        eng = ("not checked (baseline)" if g["eng_checked"] == 0 else
               f'<span class="{"ok" if g["eng_ok"] == g["eng_checked"] else "bad"}">{g["eng_ok"]} of '
               f'{g["eng_checked"]} proved</span>')
        share = f'{g["share"] * 100:.1f}%' if g["share"] is not None and g["eng_checked"] else "–"
        pay = (f'<span class="{"ok" if g["pay_errors"] == 0 else "bad"}">{g["pay_checked"]} of {ran} checked, '
               f'{g["pay_errors"]} errors</span>') if ran else "–"
        body.append(f"<tr><td>{esc(cell)}</td><td>{esc(v)}</td><td class=num>{g['runs']}</td><td>{eng}</td>"
                    f"<td class=num>{share}</td><td>{pay}</td></tr>")
    return ('<table id="checks"><tr><th>cell</th><th>datapath</th><th>runs</th><th>engagement</th>'
            '<th>least carried share</th><th>payload check</th></tr>' + "".join(body) + "</table>")


def failures_html(report):
    bad = [r for r in report["runs"] if r["status"] != "ok"]
    parts = []
    if bad:
        body = "".join(f'<tr><td>{esc(r["cell"]["label"])}</td><td>{esc(r.get("variant", r["datapath"]))}</td>'
                       f'<td class=num>{r["repetition"]}</td><td class="{"bad" if r["status"] == "failed" else ""}">'
                       f'{esc(r["status"])}</td><td>{esc(r.get("error", ""))}</td></tr>' for r in bad)
        parts.append('<table id="failures"><tr><th>cell</th><th>datapath</th><th>repetition</th><th>status</th>'
                     f'<th>reason</th></tr>{body}</table>')
    else:
        parts.append('<p id="failures">Every run completed and passed its checks.</p>')
    not_run = report["scenario"].get("not_run") or []
    if not_run:
        body = "".join(f'<tr><td>{esc(x["datapath"])}</td><td>{esc(x["workload"])}</td><td>{esc(x["reason"])}</td></tr>'
                       for x in not_run)
        parts.append('<h3>Not run</h3><table id="not-run"><tr><th>datapath</th><th>workload</th><th>why</th></tr>'
                     f'{body}</table>')
    return "\n".join(parts)


def environment_html(report):
    ctx = dict(report.get("context") or {})
    parts = []
    progs = ctx.pop("bpf_programs", None)
    order = ["hostname", "kernel", "cpu", "memory_kb", "clocksource", "preemption", "bpf_jit", "mitigations",
             "pinning", "sysctls", "libraries", "benchlab", "offloads"]
    keys = [k for k in order if k in ctx] + [k for k in ctx if k not in order]
    for k in keys:
        pairs = flat("", ctx[k]) if isinstance(ctx[k], dict) else [("", ctx[k])]
        cells = [(f"{k}.{p}" if p else k, esc(v)) for p, v in pairs]
        parts.append(kv_table(cells, "env"))
    if progs:
        cols = ["variant", "name", "type", "id", "tag", "jited_bytes", "xlated_bytes", "verified_insns", "loads"]
        body = "".join("<tr>" + "".join(f"<td>{esc(p.get(c, ''))}</td>" for c in cols) + "</tr>" for p in progs)
        parts.append('<h3>BPF programs the run loaded</h3><table id="bpf-programs"><tr>'
                     + "".join(f"<th>{c}</th>" for c in cols) + f"</tr>{body}</table>")
    return "\n".join(parts)


def render(report):
    rows = plot.summary_rows(report)
    sc = report["scenario"]
    ctx = report.get("context") or {}
    host = ctx.get("hostname", "?")
    title = f"benchlab: {sc.get('name', 'report')} on {host}"
    meta = [("description", esc(sc.get("description", ""))),
            ("created", esc(report.get("created_utc", ""))),
            ("wall time", f"{report.get('wall_s', 0):.1f} s"),
            ("benchlab", esc(f"{report.get('benchlab_version', '?')} @ {report.get('git_revision', '?')}")),
            ("scenario file", esc(f"{sc.get('file', '')} (sha256 {sc.get('sha256', '')[:16]}…)")),
            ("overrides", esc(" ".join(sc.get("overrides") or []) or "none")),
            ("runs", esc(f"{len(report['runs'])}: " + ", ".join(
                f"{n} {s}" for s, n in ((s, sum(r['status'] == s for r in report['runs']))
                                       for s in ("ok", "failed", "skipped")) if n))),
            ("window", esc(f"{sc.get('duration_s', '?')} s measured after {sc.get('warmup_s', '?')} s warm-up, "
                           f"{sc.get('repetitions', '?')} repetitions")),
            ("matrix", esc(", ".join(f"{k}: {v}" for k, v in (sc.get("matrix") or {}).items())))]
    banner = ""
    if ctx.get("interrupted"):
        i = ctx["interrupted"]
        banner = (f'<div class="banner">INTERRUPTED: {esc(i.get("reason", ""))} ({i.get("completed_runs", "?")} of '
                  f'{i.get("planned_runs", "?")} runs completed)</div>')
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{esc(title)}</title><style>{CSS}</style></head>
<body>
<h1>{esc(title)}</h1>
{kv_table(meta, "meta")}
{banner}
<nav><a href="#figures">figures</a><a href="#results">results</a><a href="#checks-section">checks</a>
<a href="#failures-section">failed and skipped runs</a><a href="#environment">environment</a></nav>
<h2 id="results">Results</h2>
{summary_html(report, rows)}
<h2 id="figures">Figures</h2>
{figures_html(report)}
<h2 id="checks-section">Engagement and payload checks</h2>
<p class="meta">A datapath under test proves with its own counters that it carried the traffic; a run that does
not, or whose payload check fails, is failed and contributes no numbers.</p>
{checks_html(report)}
<h2 id="failures-section">Failed and skipped runs</h2>
{failures_html(report)}
<h2 id="environment">Environment</h2>
{environment_html(report)}
<h2 id="scenario">Scenario options</h2>
<pre>{esc(json.dumps(sc.get("options", {}), indent=2, ensure_ascii=False))}</pre>
</body></html>
"""


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: html_report.py REPORT.json OUT.html")
    src, out = argv
    try:
        report = plot.load_report(src)
    except plot.ReportError as e:
        sys.exit(str(e))
    try:
        page = render(report)
    except (KeyError, TypeError, ValueError) as e:
        sys.exit(f"{src}: malformed report: {type(e).__name__}: {e}")
    tmp = f"{out}.tmp.{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(page)
        os.replace(tmp, out)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        sys.exit(f"{out}: cannot write the HTML report: {e.strerror or e}")
    print(out)


if __name__ == "__main__":
    main(sys.argv[1:])

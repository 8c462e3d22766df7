"""Runs driven from Python (root: builds namespaces and loads BPF). Each run is about a second.

- a run returns the report, calls the progress callback before each run and releases the GIL;
- Ctrl-C (SIGINT) in the middle of a sockmap scenario stops it before the next run, tears down,
  raises KeyboardInterrupt carrying the partial report, and leaves nothing behind: the host
  snapshot of ci/host_state.sh (links, namespaces, cgroup BPF attachments, bpffs, cgroups, run
  records, sysctls) and the kernel's BPF programs and links are as they were.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

import benchlab

SRC = os.environ.get("BENCHLAB_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="runs need root (namespaces, BPF)")


def scenario(**kw):
    d = {
        "name": "py-short",
        "duration_s": 0.3,
        "warmup_s": 0.1,
        "repetitions": 1,
        "datapaths": ["kernel"],
        "workloads": ["tcp_rr"],
        "topology": {"kind": "loopback", "family": "ipv4"},
        "matrix": {"message_size": [64], "flows": [1], "cpu_placement": ["same-core"]},
    }
    d.update(kw)
    return benchlab.scenario_from_dict(d)


def test_run_returns_the_report_and_releases_the_gil(tmp_path):
    calls = []
    ticks = [0]
    done = threading.Event()

    def spin():   # advances only while the run has released the GIL
        while not done.is_set():
            ticks[0] += 1
            time.sleep(0.001)

    t = threading.Thread(target=spin)
    t.start()
    try:
        report = scenario(repetitions=2).run(progress=calls.append, out=str(tmp_path))
    finally:
        done.set()
        t.join()
    assert ticks[0] > 100, "the GIL was held during the run"
    assert [c["repetition"] for c in calls] == [1, 2]
    assert all(c["datapath"] == "kernel" and c["cells"] == 1 for c in calls)
    assert len(report) == 2 and report.interrupted is None
    recs = report.records()
    assert [r["status"] for r in recs] == ["ok", "ok"], [r["error"] for r in recs]
    assert all(r["p50_us"] > 0 and r["transactions_per_s"] > 0 for r in recs)
    rows = report.summary()
    p50 = next(x for x in rows if x["metric"] == "p50_us")
    assert p50["n"] == 2 and p50["median"] > 0
    written = [f for f in os.listdir(tmp_path) if f.endswith(".json")]
    assert len(written) == 1 and written[0].startswith("py-short-")
    assert benchlab.read_report(str(tmp_path / written[0])).records() == recs
    assert benchlab.leftovers() == []


def test_an_exception_in_the_progress_callback_stops_the_run_after_teardown():
    def progress(p):
        if p["repetition"] == 2:
            raise ValueError("enough")

    with pytest.raises(ValueError, match="enough") as e:
        scenario(repetitions=3).run(progress=progress)
    partial = e.value.report
    assert len(partial) == 1 and partial.records()[0]["status"] == "ok"
    assert partial.interrupted["completed_runs"] == 1 and partial.interrupted["planned_runs"] == 3
    assert benchlab.leftovers() == []


CHILD = r"""
import json, sys, benchlab
s = benchlab.scenario_from_dict(json.loads(sys.argv[1]))
def progress(p):
    print("progress", p["datapath"], p["repetition"], flush=True)
try:
    s.run(progress=progress)
    print("finished", flush=True)
    sys.exit(0)
except KeyboardInterrupt as e:
    print("interrupted", json.dumps({"runs": len(e.report), "interrupted": e.report.interrupted,
          "statuses": [r["status"] for r in e.report.records()]}), flush=True)
    sys.exit(130)
"""


def host_state(path):
    subprocess.run(["bash", os.path.join(SRC, "ci", "host_state.sh"), "snapshot", path], check=True)


def bpf_ids(kind):
    out = subprocess.run(["bpftool", "-j", kind, "show"], capture_output=True, text=True).stdout
    return {x["id"] for x in json.loads(out or "[]")}


def test_ctrl_c_mid_scenario_tears_down_and_leaves_nothing(tmp_path):
    spec = {
        "name": "py-ctrl-c",
        "duration_s": 0.4,
        "warmup_s": 0.1,
        "repetitions": 4,
        "datapaths": ["kernel", "sockmap-msg"],
        "workloads": ["tcp_rr"],
        "topology": {"kind": "loopback", "family": "ipv4"},
        "matrix": {"message_size": [64], "flows": [1], "cpu_placement": ["same-core"]},
    }
    if not benchlab.probe()["datapaths"]["sockmap-msg"]["supported"]:
        pytest.skip("sockmap-msg unsupported here: " + benchlab.probe()["datapaths"]["sockmap-msg"]["reason"])
    before = str(tmp_path / "before")
    host_state(before)
    progs, links = bpf_ids("prog"), bpf_ids("link")

    # Its own process group, which gets the SIGINT as a terminal's Ctrl-C would reach every process
    # of the foreground job (the workload's forked children included).
    child = subprocess.Popen([sys.executable, "-c", CHILD, json.dumps(spec)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
    lines = []
    # Interrupt while sockmap-msg is attached: its run has just begun (cgroup, programs, sockets).
    for line in child.stdout:
        lines.append(line.strip())
        if line.startswith("progress sockmap-msg 1"):
            time.sleep(0.25)
            os.killpg(child.pid, signal.SIGINT)
            break
    out, err = child.communicate(timeout=30)
    lines += out.strip().splitlines()
    assert child.returncode == 130, (lines, err)
    assert lines[-1].startswith("interrupted "), lines
    result = json.loads(lines[-1][len("interrupted "):])
    # It stopped before the next run: the interrupted run completed its teardown and is kept.
    assert result["runs"] == 2 and result["statuses"] == ["ok", "ok"], result
    assert "KeyboardInterrupt" in result["interrupted"]["reason"]
    assert result["interrupted"]["planned_runs"] == 8

    after = str(tmp_path / "after")
    host_state(after)
    diff = subprocess.run(["bash", os.path.join(SRC, "ci", "host_state.sh"), "compare", before, after],
                          capture_output=True, text=True)
    assert diff.returncode == 0, diff.stdout + diff.stderr
    assert bpf_ids("prog") <= progs, "a BPF program outlived the run"
    assert bpf_ids("link") <= links, "a BPF link outlived the run"
    assert benchlab.leftovers() == []


def test_a_second_run_at_once_raises_busy():
    import fcntl
    os.makedirs("/run/benchlab", exist_ok=True)
    with open("/run/benchlab/run.lock", "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)   # as a measuring run holds it
        with pytest.raises(benchlab.BusyError) as e:
            scenario().run()
    assert e.value.exit_code == 5
    assert str(e.value).startswith("another benchlab run (pid ") and "\n" not in str(e.value)
    assert benchlab.leftovers() == []

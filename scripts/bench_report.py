#!/usr/bin/env python3
"""Renders the figures of scripts/bench.sh into docs/benchmarks.md, between the
<!-- bench:begin --> and <!-- bench:end --> markers, leaving the rest of the file alone.

Usage: bench_report.py DIR STORE...   (DIR holds STORE.json, STORE-c1.json, STORE.facts.json)
"""

import json
import os
import platform
import re
import subprocess
import sys

DOC = "docs/benchmarks.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception:
        return ""


def machine():
    cpu = ""
    for line in open("/proc/cpuinfo", encoding="utf-8"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
    lock = open("Cargo.lock", encoding="utf-8").read()
    m = re.search(r'name = "libsqlite3-sys"\nversion = "([^"]+)"', lock)
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "rustc": sh("rustc --version"),
        "postgres": sh("psql -h 127.0.0.1 -U postgres -d test -Atc 'SHOW server_version'"),
        "sqlite": f"bundled by libsqlite3-sys {m.group(1)}" if m else "bundled",
        "commit": sh("git rev-parse --short HEAD"),
        "date": sh("date -u +%Y-%m-%dT%H:%MZ"),
    }


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def op(run, name):
    return next((o for o in run["ops"] if o["op"] == name and not o.get("skipped")), None)


def lat(o, key):
    return o["latency_ms"][key] if o and o.get("latency_ms") else None


def ms(v):
    return "–" if v is None else (f"{v:.1f}" if v < 100 else f"{v:,.0f}")


# (figure, target text, how to read it from (runs at 8 clients, runs at 1 client, facts), check)
TARGETS = [
    ("create a ticket (8 clients)", "≥ 3,000 /s", lambda r8, r1, f: (op(r8, "create") or {}).get("throughput_rps"), lambda v: v >= 3000, "{:,.0f} /s"),
    ("queue page of 50, filtered and sorted: p99", "≤ 20 ms", lambda r8, r1, f: lat(op(r1, "queue"), "p99"), lambda v: v <= 20, "{:.1f} ms"),
    ("open one ticket: p99", "≤ 10 ms", lambda r8, r1, f: lat(op(r1, "open"), "p99"), lambda v: v <= 10, "{:.1f} ms"),
    ("full-text search, Chinese and English: p99", "≤ 50 ms", lambda r8, r1, f: lat(op(r1, "search"), "p99"), lambda v: v <= 50, "{:.1f} ms"),
    ("impact analysis 6 levels deep from one CI: p99", "≤ 20 ms", lambda r8, r1, f: lat(op(r1, "impact"), "p99"), lambda v: v <= 20, "{:.1f} ms"),
    ("a CI page: p99", "≤ 20 ms", lambda r8, r1, f: lat(op(r1, "ci"), "p99"), lambda v: v <= 20, "{:.1f} ms"),
    ("import 100,000 CSV rows of new CIs", "≤ 60 s", lambda r8, r1, f: f.get("import_secs") if f.get("import_rows") == 100000 else None, lambda v: v <= 60, "{:.1f} s"),
    ("monthly SLA report over all tickets: max", "≤ 2 s", lambda r8, r1, f: lat(op(r1, "sla_report"), "max"), lambda v: v <= 2000, "{:.0f} ms"),
    ("SLA breach scan (every 15 s, through both loads): mean", "follows the thresholds due, not the open tickets: ≤ 10 ms", lambda r8, r1, f: f.get("sla_scan_ms_mean"), lambda v: v <= 10, "{:.1f} ms"),
    ("memory at idle (resident)", "≤ 50 MB", lambda r8, r1, f: f["idle_rss_kb"] / 1024, lambda v: v <= 50, "{:.0f} MB"),
    ("cold start to first answer", "≤ 1 s", lambda r8, r1, f: f["cold_start_ms"], lambda v: v <= 1000, "{:.0f} ms"),
]


def render(dir_, stores):
    m = machine()
    runs = {s: (load(f"{dir_}/{s}.json"), load(f"{dir_}/{s}-c1.json"), load(f"{dir_}/{s}.facts.json")) for s in stores}
    out = []
    out.append(f"Measured {m['date']} at commit `{m['commit']}` by `bash scripts/bench.sh`.\n")
    out.append(
        f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory']}, Linux {m['kernel']}, {m['rustc']}; "
        f"SQLite {m['sqlite']}, PostgreSQL {m['postgres'] or 'not measured'}.\n"
    )
    first = runs[stores[0]]
    out.append(
        f"Data per store: {first[2]['tickets']:,} tickets over three years with their timelines, SLA clocks "
        f"and search documents; {first[2].get('cis', 0):,} CIs with {first[2].get('relationships', 0):,} relationships; "
        f"{first[0]['data']['tenants']} client organisations, "
        f"{first[0]['data']['end_users']:,} end users. Each operation ran {first[0]['duration_secs']:.0f} s "
        "after a 2 s warm-up, first with 8 concurrent clients, then with 1 client for unloaded latency.\n"
    )
    out.append("### Targets\n")
    head = "| figure | target | " + " | ".join(stores) + " |"
    out.append(head)
    out.append("|" + "---|" * (2 + len(stores)))
    for name, target, get, ok, fmt in TARGETS:
        cells = []
        for s in stores:
            v = get(*runs[s])
            cells.append("–" if v is None else fmt.format(v) + (" ✅" if ok(v) else " ❌"))
        out.append(f"| {name} | {target} | " + " | ".join(cells) + " |")
    out.append("")
    for s in stores:
        r8, r1, f = runs[s]
        srv = r8.get("server") or {}
        gen = f["generate_secs"]
        gen = f"{float(gen):.0f} s" if gen.replace(".", "", 1).isdigit() else "not recorded"
        out.append(f"### {s}\n")
        out.append(
            f"Generation: {gen}; store size {f['store_bytes'] / 1024 / 1024:,.0f} MB; cold start {f['cold_start_ms']} ms; "
            f"resident memory idle {f['idle_rss_kb'] / 1024:.0f} MB, after the 8-client load "
            f"{(srv.get('rss_after_kb') or 0) / 1024:.0f} MB (peak {(srv.get('rss_peak_kb') or 0) / 1024:.0f} MB).\n"
        )
        if f.get("sla_scan_ms_mean") is not None:
            out.append(
                f"SLA breach scans: {f['sla_scans']} while {f['open_tickets']:,} tickets were open, "
                f"{f['sla_fired']} thresholds fired; {f['sla_scan_ms_mean']:.1f} ms each on average, "
                f"the longest {f['sla_scan_ms_max']:.1f} ms.\n"
            )
        if f.get("import_secs") is not None:
            out.append(
                f"Import (`yunwei import cis`, into a copy of the data): {f['import_rows']:,} new servers from a CSV "
                f"in {f['import_secs']:.1f} s ({f['import_rows'] / f['import_secs']:,.0f} rows/s); the same file "
                f"again, every row unchanged, in {f['import_again_secs']:.1f} s. It said: “{f['import_said'].strip()}” "
                f"and “{f['import_again_said'].strip()}”.\n"
            )
        out.append("| operation | clients | requests | errors | req/s | p50 ms | p95 ms | p99 ms | max ms |")
        out.append("|---|---|---|---|---|---|---|---|---|")
        for run, clients in ((r8, 8), (r1, 1)):
            for o in run["ops"]:
                if o.get("skipped"):
                    continue
                rows = [(o["op"], o)] + [(f"{o['op']} · {p['name']}", p) for p in o.get("parts") or []]
                for label, x in rows:
                    l = x.get("latency_ms") or {}
                    out.append(
                        f"| {label} | {clients} | {x['requests']:,} | {x['errors']} | {x['throughput_rps']:,.0f} | "
                        f"{ms(l.get('p50'))} | {ms(l.get('p95'))} | {ms(l.get('p99'))} | {ms(l.get('max'))} |"
                    )
        out.append("")
    return "\n".join(out)


def main():
    dir_, stores = sys.argv[1], sys.argv[2:]
    body = render(dir_, stores)
    text = open(DOC, encoding="utf-8").read() if os.path.exists(DOC) else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text:
        text += f"\n{BEGIN}\n{END}\n"
    pre, rest = text.split(BEGIN, 1)
    post = rest.split(END, 1)[1] if END in rest else ""
    with open(DOC, "w", encoding="utf-8") as f:
        f.write(f"{pre}{BEGIN}\n{body}\n{END}{post}")
    print(f"wrote {DOC}", file=sys.stderr)


if __name__ == "__main__":
    main()

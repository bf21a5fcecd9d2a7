"""`python -m dnmonster.bench`: how fast dnmonster draws, in process and over HTTP.

(a) render + PNG encode at size 80 for distinct 64-hex names in this process (one core, best of
    three rounds), against the literal reference implementation measured in the same run;
(b) a real `python -m dnmonster` server loaded by wrk with distinct 64-hex names per request at 1, 8
    and 32 connections, against the same server answering /health (no drawing) in the same run,
    and the original's published figures. wrk's own CPU use and the server's CPU time per request
    are reported: on a shared machine they show what limits the figures.
"""

import argparse
import hashlib
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from dnmonster.config import default_workers
from dnmonster.png import monster_png
from dnmonster.prng import generator_name
from dnmonster.reference import draw_rgba, load_families
from dnmonster.render import draw_monster
from dnmonster.sprites import DEFAULT_PACK, load_pack

SIZE = 80
CONNECTIONS = (1, 8, 32)
# amouat/dnmonster 1.0 on this machine kind, as published in ../shared/dnmonster/README.md.
ORIGINAL_RPS = {1: 1400, 8: 1480, 32: 1560}
# Issue 12's goals: times the original's req/s, and images/s in process on one core.
GOALS = {1: 4.0, 8: 10.0}
IN_PROCESS_GOAL = 40_000
ROUNDS = 3
T = TypeVar("T")

# wrk's report, one JSON line at the end of a run (both scripts end with it).
REPORT_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "errors": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""
# Per wrk thread: a random 48-hex prefix plus a 16-hex counter, so every request's name is new.
NAMES_SCRIPT = """
local counter = 0
local prefix = ""
local path_tail = "?size=SIZE"
init = function(args)
  math.randomseed(os.time() * 1000 + math.floor(os.clock() * 1000000))
  for i = 1, 48 do prefix = prefix .. string.format("%x", math.random(0, 15)) end
end
request = function()
  counter = counter + 1
  return wrk.format("GET", "/monster/" .. prefix .. string.format("%016x", counter) .. path_tail)
end
"""


def hex_names(count: int, salt: str) -> list[str]:
    return [hashlib.sha256(f"{salt}{n}".encode()).hexdigest() for n in range(count)]


def _best_rate(work: Callable[[T], object], items: Sequence[T], rounds: int = ROUNDS) -> float:
    """Items per second, the best of `rounds` rounds (the machine may be shared)."""
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        for item in items:
            work(item)
        best = max(best, len(items) / (time.perf_counter() - start))
    return best


def in_process(sprites: Path, images: int, reference_images: int) -> dict[str, float]:
    """Images per second for the fast path (and its two halves) and for the literal reference."""
    pack = load_pack(sprites)
    for name in hex_names(500, "warm-up"):  # per-(side, row) pieces fill in on first use
        monster_png(draw_monster(name, pack), SIZE)
    names = hex_names(images, "fast")
    monsters = [draw_monster(name, pack) for name in names]
    families = load_families(sprites)
    return {
        "fast": _best_rate(lambda name: monster_png(draw_monster(name, pack), SIZE), names),
        "draw": _best_rate(lambda name: draw_monster(name, pack), names),
        "encode": _best_rate(lambda monster: monster_png(monster, SIZE), monsters),
        "reference": _best_rate(
            lambda name: draw_rgba(name, SIZE, families), hex_names(reference_images, "ref"), 1
        ),
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def run_wrk(url: str, script: Path, connections: int, duration: float) -> dict[str, float]:
    """One wrk run (one thread): req/s, p50/p99 in ms, and wrk's CPU share of one core."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    out = subprocess.run(
        [
            "wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s",
            "--timeout", "10s", "-s", str(script), url,
        ],
        capture_output=True, text=True, check=True, timeout=duration + 60,
    ).stdout  # fmt: skip
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = [x for x in out.splitlines() if x.startswith("{")][-1]
    stats = json.loads(line)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "requests": stats["requests"],
        "rps": stats["requests"] / (stats["duration_us"] / 1e6),
        "p50_ms": stats["p50_us"] / 1000,
        "p99_ms": stats["p99_us"] / 1000,
        "errors": stats["errors"],
        "wrk_cpu": cpu / wall,
    }


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and all its children (the server and its workers)."""
    import psutil  # dev dependency, like mirakuru

    root = psutil.Process(pid)
    total = 0.0
    for proc in (root, *root.children(recursive=True)):
        try:
            times = proc.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def _measured(pid: int, url: str, script: Path, conns: int, duration: float) -> dict[str, float]:
    before = _cpu_seconds(pid)
    row = run_wrk(url, script, conns, duration)
    row["server_cpu_us"] = (_cpu_seconds(pid) - before) / max(row["requests"], 1) * 1e6
    return row


def over_http(
    sprites: Path, workers: int, connections: Sequence[int], duration: float
) -> list[dict[str, float]]:
    from mirakuru import OutputExecutor  # dev dependency: the container never runs the bench

    port = _free_port()
    server = OutputExecutor(
        [
            sys.executable, "-m", "dnmonster", "--host", "127.0.0.1", "--port", str(port),
            "--sprites", str(sprites), "--workers", str(workers),
        ],
        banner="dnmonster ready on",
        timeout=60,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    results = []
    with tempfile.TemporaryDirectory() as tmp, server:
        pid = server.process.pid if server.process else 0
        monsters = Path(tmp, "monsters.lua")
        monsters.write_text(NAMES_SCRIPT.replace("SIZE", str(SIZE)) + REPORT_SCRIPT)
        health = Path(tmp, "health.lua")
        health.write_text(REPORT_SCRIPT)
        run_wrk(base + "/", monsters, 8, 1)  # warm-up: workers' caches and code paths
        for conns in connections:
            row = _measured(pid, base + "/", monsters, conns, duration)
            base_row = _measured(pid, base + "/health", health, conns, duration)
            row["connections"] = conns
            row["health_rps"] = base_row["rps"]
            row["health_cpu_us"] = base_row["server_cpu_us"]
            results.append(row)
    return results


def _ratio(value: float, base: float | None) -> str:
    return f"{value / base:.2f}x" if base else "-"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dnmonster.bench", description=__doc__)
    parser.add_argument("--sprites", type=Path, default=DEFAULT_PACK, help="sprite pack JSON")
    parser.add_argument("--images", type=int, default=5000, help="in-process images (fast path)")
    parser.add_argument("--reference-images", type=int, default=100, help="reference images")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run")
    parser.add_argument("--workers", type=int, default=default_workers(), help="server workers")
    parser.add_argument(
        "--connections", type=int, nargs="+", default=list(CONNECTIONS), help="wrk concurrency"
    )
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("bench: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2

    print(
        f"dnmonster bench: sprites {args.sprites}, {default_workers()} CPUs, size {SIZE}, "
        f"generator {generator_name()}, load average {os.getloadavg()[0]:.2f}"
    )
    speed = in_process(args.sprites, args.images, args.reference_images)
    print(f"(a) in process, one core, distinct 64-hex names, best of {ROUNDS} rounds")
    print(f"    draw       {speed['draw']:>9,.0f} monsters/s  (name -> mask and colour)")
    print(f"    encode     {speed['encode']:>9,.0f} PNGs/s      (mask -> PNG)")
    print(
        f"    dnmonster  {speed['fast']:>9,.0f} images/s    ({args.images} images, draw + encode)"
        f"  goal {IN_PROCESS_GOAL:,}: {'met' if speed['fast'] >= IN_PROCESS_GOAL else 'NOT met'}"
    )
    print(
        f"    reference  {speed['reference']:>9,.0f} images/s    ({args.reference_images} images, "
        f"literal port, draw only)  -> dnmonster {speed['fast'] / speed['reference']:.0f}x"
    )

    rows = over_http(args.sprites, args.workers, args.connections, args.duration)
    print(
        f"(b) HTTP GET /monster/<distinct 64-hex>?size={SIZE}, {args.workers} workers "
        f"(uvicorn, uvloop, httptools; a SO_REUSEPORT socket each), wrk 1 thread, "
        f"{args.duration:g}s per run; server CPU us/request over all its processes"
    )
    print(
        "    conns    req/s   p50 ms   p99 ms  errors  wrk cpu  cpu us  "
        "/health req/s  cpu us  of /health  vs orig  goal"
    )
    for row in rows:
        conns = int(row["connections"])
        original = ORIGINAL_RPS.get(conns)
        goal = GOALS.get(conns)
        verdict = "-"
        if original and goal:
            verdict = f"{goal:g}x " + ("met" if row["rps"] >= goal * original else "NOT met")
        print(
            f"    {conns:>5} {row['rps']:>8,.0f} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} "
            f"{int(row['errors']):>7} {row['wrk_cpu']:>7.0%} {row['server_cpu_us']:>7.0f} "
            f"{row['health_rps']:>14,.0f} {row['health_cpu_us']:>7.0f} "
            f"{row['rps'] / row['health_rps']:>10.0%} {_ratio(row['rps'], original):>8}  {verdict}"
        )
    print("    original (amouat/dnmonster 1.0, published): " + ", ".join(
        f"{c} conns {r:,} req/s" for c, r in ORIGINAL_RPS.items()
    ))  # fmt: skip
    return 1 if any(row["errors"] for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())

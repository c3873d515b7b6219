"""The service under load (issue 19's targets), against a home with a published snapshot.

    .venv/bin/python bench/bench_layanan.py --home <home with a published 1M snapshot> \
        [--next <the next month's delivery>] [--seconds 30] [--clients 8]

1. `dtsen serve` starts in its own process on a free port of 127.0.0.1, with credentials made
   for the run (an analyst of every province).
2. The first status look-up of the snapshot builds its index (timed apart).
3. Status look-ups: `--clients` threads, each with one keep-alive connection, ask for NIKs
   drawn from the snapshot (one in ten not listed) for `--seconds`: a bounded load (each
   client waits for its answer). Rate, p50, p95 and p99 of the latency, failures.
4. A regency's list of about 3,000 families as CSV, 30 times one after another: median, p95.
5. With `--next`: the same load while `dtsen refresh` publishes the next snapshot. Every
   answer must be 200 and from one whole snapshot: a status answer's decile must be the
   decile its snapshot holds for that NIK, a list's family count the count its snapshot has.

One JSON line with every figure at the end (for RESULTS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DTSEN = str(ROOT / ".venv" / "bin" / "dtsen")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def truth(settings, tag: str, niks: list[str]) -> tuple[dict[str, int | None], dict[str, int]]:
    """Per NIK its decile in the snapshot (None: not listed), and families per regency."""
    from warehouse import Akses, open_catalog, open_snapshot, resolve

    catalog = open_catalog(settings)
    con = open_snapshot(catalog, resolve(catalog, tag), Akses.penuh, tables=["individu", "keluarga"])
    con.execute("CREATE TEMP TABLE ditanya AS SELECT unnest($n) AS nik", {"n": niks})
    desil = dict(
        con.execute("SELECT d.nik, i.desil_nasional FROM ditanya d LEFT JOIN individu i USING (nik)").fetchall()
    )
    regencies = dict(con.execute("SELECT left(kode_desa, 4), count(*) FROM keluarga GROUP BY 1").fetchall())
    return desil, regencies


def sample_niks(settings, n: int, seed: int = 1) -> list[str]:
    from warehouse import Akses, open_catalog, open_snapshot, resolve

    catalog = open_catalog(settings)
    con = open_snapshot(catalog, resolve(catalog), Akses.penuh, tables=["individu"])
    listed = [
        r[0] for r in con.execute(f"SELECT nik FROM individu USING SAMPLE {n} ROWS (reservoir, {seed})").fetchall()
    ]
    rng = random.Random(seed)
    unlisted = [f"{rng.randrange(10**15, 10**16)}" for _ in range(n // 10)]
    return listed + unlisted


class Load:
    """`clients` threads asking until `stop` is set; every answer kept with its latency."""

    def __init__(self, base: str, key: str, niks: list[str], clients: int, regency: str | None = None):
        self.base, self.key, self.niks, self.clients, self.regency = base, key, niks, clients, regency
        self.stop = threading.Event()
        self.answers: list[tuple[str, float, int, dict]] = []  # kind, seconds, status, body
        self._lock = threading.Lock()

    def _client(self, i: int) -> None:
        rng = random.Random(i)
        with httpx.Client(base_url=self.base, headers={"Authorization": f"Bearer {self.key}"}, timeout=60) as c:
            n = 0
            while not self.stop.is_set():
                n += 1
                if self.regency is not None and n % 20 == 0:  # now and then a list, during a publish
                    kind, t0 = "daftar", time.perf_counter()
                    r = c.get("/snapshot/current/keluarga", params={"wilayah": self.regency, "per_halaman": 1})
                else:
                    nik = rng.choice(self.niks)
                    kind, t0 = "status", time.perf_counter()
                    r = c.post("/snapshot/current/status", json={"nik": nik})
                seconds = time.perf_counter() - t0
                body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
                if kind == "status":
                    body = {"nik_asked": nik} | body
                with self._lock:
                    self.answers.append((kind, seconds, r.status_code, body))

    def run(self, seconds: float | None = None, until: subprocess.Popen | None = None) -> float:
        threads = [threading.Thread(target=self._client, args=(i,)) for i in range(self.clients)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        if until is not None:
            until.wait()
        else:
            time.sleep(seconds or 0)
        self.stop.set()
        for t in threads:
            t.join()
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", required=True, type=Path)
    parser.add_argument("--next", type=Path, help="the next month's delivery, refreshed under load")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="`dtsen serve --workers`")
    args = parser.parse_args()

    from dtsen.settings import Settings
    from warehouse import kredensial

    settings = Settings(home=args.home)
    _, key = kredensial.create(settings, "BENCH", kredensial.Peran.analis, (), None)
    niks = sample_niks(settings, 5000)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")} | {"DTSEN_HOME": str(args.home)}
    server = subprocess.Popen(
        [DTSEN, "serve", "--port", str(port), "--workers", str(args.workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    figures: dict = {"clients": args.clients, "workers": args.workers, "seconds": args.seconds}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/docs", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    said = server.stderr.read() if server.stderr else ""
                    raise SystemExit(f"the service did not start: {said}") from None
                time.sleep(0.2)
        headers = {"Authorization": f"Bearer {key}"}
        t0 = time.perf_counter()
        first = httpx.post(base + "/snapshot/current/status", json={"nik": niks[0]}, headers=headers, timeout=600)
        figures["index_build_s"] = round(time.perf_counter() - t0, 2)
        tag_a = first.json()["snapshot"]

        load = Load(base, key, niks, args.clients)
        elapsed = load.run(args.seconds)
        latencies = [s for _, s, code, _ in load.answers if code == 200]
        figures["status"] = {
            "requests": len(load.answers),
            "failed": sum(1 for a in load.answers if a[2] != 200),
            "per_second": round(len(load.answers) / elapsed, 1),
            "p50_ms": round(1000 * percentile(latencies, 50), 1),
            "p95_ms": round(1000 * percentile(latencies, 95), 1),
            "p99_ms": round(1000 * percentile(latencies, 99), 1),
        }

        _, regencies = truth(settings, tag_a, niks[:1])
        regency, families = min(regencies.items(), key=lambda kv: abs(kv[1] - 3000))
        times = []
        for _ in range(30):
            t0 = time.perf_counter()
            r = httpx.get(
                base + "/snapshot/current/keluarga",
                params={"wilayah": regency, "per_halaman": 10000, "format": "csv"},
                headers=headers,
                timeout=60,
            )
            times.append(time.perf_counter() - t0)
            assert r.status_code == 200 and r.text.count("\n") == families + 1, (r.status_code, r.text[:200])
        figures["regency_csv"] = {
            "regency": regency,
            "families": families,
            "median_s": round(statistics.median(times), 3),
            "p95_s": round(percentile(times, 95), 3),
        }

        if args.next is not None:
            load = Load(base, key, niks, args.clients, regency=regency)
            refresh = subprocess.Popen(
                [DTSEN, "refresh", "--delivery", str(args.next)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            elapsed = load.run(until=refresh)
            time.sleep(settings.layanan_segar_detik + 1)  # the service sees the new snapshot
            after = httpx.post(base + "/snapshot/current/status", json={"nik": niks[0]}, headers=headers).json()
            tag_b = after["snapshot"]
            truths = {tag: truth(settings, tag, niks) for tag in {tag_a, tag_b}}
            wrong = 0
            tags_seen: dict[str, int] = {}
            for kind, _, code, body in load.answers:
                if code != 200:
                    continue
                tag = body.get("snapshot")
                tags_seen[tag] = tags_seen.get(tag, 0) + 1
                desil, per_regency = truths[tag]
                if kind == "status":
                    wrong += body["desil_nasional"] != desil[body["nik_asked"]]
                else:
                    wrong += body["jumlah"] != per_regency.get(regency, 0)
            figures["under_publish"] = {
                "refresh_rc": refresh.returncode,
                "seconds": round(elapsed, 1),
                "requests": len(load.answers),
                "failed": sum(1 for a in load.answers if a[2] != 200),
                "not_from_one_snapshot": wrong,
                "answers_per_snapshot": tags_seen,
                "p99_ms": round(1000 * percentile([s for _, s, c, _ in load.answers if c == 200], 99), 1),
            }
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

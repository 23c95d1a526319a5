"""Load test of a running page: N concurrent clients over its API, for M questions each or S seconds.

``python -m qa.bench.loadtest --url http://127.0.0.1:7860/ --clients 50 --seconds 60 --pid PID``
Prints errors, latency percentiles and, with ``--pid`` (the server's process), its
resident memory before and after (psutil). Only loopback or your own hosts, bounded in
count and time.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

from qa.eval import load_questions
from qa.measure import percentile


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", default="http://127.0.0.1:7860/")
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--questions", type=int, default=5)
    p.add_argument("--seconds", type=float, default=0.0, help="ask for this long instead of --questions each")
    p.add_argument("--timeout", type=float, default=120.0, help="per request, seconds")
    p.add_argument("--pid", type=int, help="the server's process id, to report its memory before and after")
    p.add_argument("--auth", help="user:password, when the page asks for a login")
    args = p.parse_args(argv)
    from gradio_client import Client

    server = None
    if args.pid:
        import psutil

        server = psutil.Process(args.pid)
        print(f"server memory before: {server.memory_info().rss / 2**20:.0f} MB")
    auth = tuple(args.auth.split(":", 1)) if args.auth else None
    deadline: list[float] = []

    pool = [q.question for q in load_questions()]
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(args.clients)

    def client(n: int) -> None:
        try:
            c = Client(args.url, verbose=False, auth=auth)
        except Exception as exc:  # reported, not raised: this is a measurement
            with lock:
                errors.append(f"client {n}: connect: {exc}")
            barrier.abort()
            return
        try:
            barrier.wait(timeout=args.timeout)
        except threading.BrokenBarrierError:
            pass
        i = 0
        while (time.perf_counter() < deadline[0]) if args.seconds else i < args.questions:
            q = pool[(n * 7919 + i) % len(pool)]
            i += 1
            t0 = time.perf_counter()
            try:
                res = c.predict(q, 5, api_name="/ask")
                ok = isinstance(res, dict) and "results" in res and not res.get("error")
                err = None if ok else f"bad answer for {q!r}: {str(res)[:80]}"
            except Exception as exc:  # any failure is a data point
                err = f"{q!r}: {type(exc).__name__}: {exc}"
            dt = (time.perf_counter() - t0) * 1000
            with lock:
                latencies.append(dt)
                if err:
                    errors.append(err)

    t0 = time.perf_counter()
    deadline.append(t0 + args.seconds)
    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    lat = sorted(latencies)
    each = f"{args.seconds:g} s" if args.seconds else f"{args.questions} questions"
    print(f"{args.clients} clients × {each} = {len(lat)} requests in {wall:.1f} s")
    print(f"errors: {len(errors)}")
    for e in errors[:10]:
        print("  " + e)
    if lat:
        p95 = percentile(lat, 0.95)
        print(f"latency p50 {statistics.median(lat):.0f} ms, p95 {p95:.0f} ms, max {lat[-1]:.0f} ms")
        print(f"throughput {len(lat) / wall:.1f} answers/s")
    if server is not None:
        print(f"server memory after: {server.memory_info().rss / 2**20:.0f} MB")


if __name__ == "__main__":
    main()

"""Benchmark the Graph API simulator: node reads/s, media-insight batch items/s, and resident memory
of a 1,000-account world after a daily sync's worth of requests. Last stdout line: one JSON object.

    python bench/simulator.py [--accounts 1000] [--concurrency 50] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import httpx
import psutil


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(accounts: int, port: int) -> subprocess.Popen:
    code = ("from ig_pipeline.simulator import SimConfig; from ig_pipeline.simulator.server import serve; "
            f"serve('127.0.0.1', {port}, SimConfig(accounts={accounts}, seed=1, frozen=True, "
            "start='2026-11-10T09:00:00+00:00', buc_calls_per_impression=0))")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/_sim/clock", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("simulator did not start")


async def run_for(seconds: float, concurrency: int, make_request) -> int:
    done = 0
    stop = time.perf_counter() + seconds

    async def worker(w: int):
        nonlocal done
        i = w
        while time.perf_counter() < stop:
            await make_request(i)
            done += 1
            i += concurrency

    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    return done


async def raw_node_reads(port: int, ids: list[str], tokens: dict, seconds: float, concurrency: int) -> int:
    """Node reads over ``concurrency`` keep-alive connections with a minimal HTTP/1.1 client
    (httpx's async pool, not the simulator, is the bottleneck at these rates)."""
    from urllib.parse import urlencode
    stop = time.perf_counter() + seconds
    done = 0

    async def conn(w: int):
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = w
        while time.perf_counter() < stop:
            ig = ids[i % len(ids)]
            q = urlencode({"fields": "id,username,followers_count", "access_token": tokens[ig]})
            writer.write(f"GET /v24.0/{ig}?{q} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200"), head[:80]
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length"))
            await reader.readexactly(length)
            done += 1
            i += concurrency
        writer.close()

    await asyncio.gather(*(conn(w) for w in range(concurrency)))
    return done


async def main_async(args) -> dict:
    port = _free_port()
    proc = start_server(args.accounts, port)
    base = f"http://127.0.0.1:{port}"
    try:
        limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
            world = (await http.get("/_sim/world")).json()
            ids = [a["id"] for a in world["accounts"]]
            tokens = {}
            for ig in ids:
                tokens[ig] = (await http.post("/_sim/tokens", json={"ig_user_id": ig})).json()["access_token"]

            # a daily sync's worth: per account node, account insights batch, media page, media insights batch
            now = datetime(2026, 11, 10, 9, tzinfo=UTC)
            day = (now - timedelta(days=1)).strftime("%Y-%m-%d")
            media_ids: dict[str, list[str]] = {}
            sem = asyncio.Semaphore(args.concurrency)

            async def sync(ig: str):
                async with sem:
                    tok = tokens[ig]
                    await http.get(f"/v24.0/{ig}", params={"fields": "followers_count,follows_count,media_count",
                                                           "access_token": tok})
                    ops = [{"method": "GET", "relative_url": f"v24.0/{ig}/insights?metric=reach,follower_count"
                                                             f"&period=day&since={day}&until={day}"},
                           {"method": "GET", "relative_url": f"v24.0/{ig}/insights?metric=views,likes,comments,"
                                                             f"saves,shares&period=day&metric_type=total_value"
                                                             f"&since={day}&until={day}"}]
                    await http.post("/v24.0/", data={"access_token": tok, "batch": json.dumps(ops)})
                    page = (await http.get(f"/v24.0/{ig}/media", params={
                        "fields": "id,media_type,media_product_type,timestamp,like_count,comments_count",
                        "limit": 25, "access_token": tok})).json()
                    media_ids[ig] = [m["id"] for m in page.get("data", [])]
                    ops = [{"method": "GET", "relative_url": f"v24.0/{m}/insights?metric=reach,views,shares"}
                           for m in media_ids[ig][:10]]
                    if ops:
                        await http.post("/v24.0/", data={"access_token": tok, "batch": json.dumps(ops)})

            t0 = time.perf_counter()
            await asyncio.gather(*(sync(ig) for ig in ids))
            sync_s = time.perf_counter() - t0
            rss_mb = psutil.Process(proc.pid).memory_info().rss / 2 ** 20

            async def node(i: int):
                ig = ids[i % len(ids)]
                r = await http.get(f"/v24.0/{ig}", params={"fields": "id,username,followers_count",
                                                           "access_token": tokens[ig]})
                assert r.status_code == 200, r.text

            server = psutil.Process(proc.pid)
            cpu0 = sum(server.cpu_times()[:2])
            node_rate = await raw_node_reads(port, ids, tokens, args.seconds, args.concurrency) / args.seconds
            server_cpu = sum(server.cpu_times()[:2]) - cpu0
            node_per_cpu_s = node_rate * args.seconds / server_cpu if server_cpu else None

            async def batch(i: int):
                ig = ids[i % len(ids)]
                mids = media_ids.get(ig) or []
                ops = [{"method": "GET", "relative_url": f"v24.0/{mids[j % len(mids)]}/insights?metric=reach,views"}
                       for j in range(50)] if mids else [{"method": "GET", "relative_url": f"v24.0/{ig}?fields=id"}]
                r = await http.post("/v24.0/", data={"access_token": tokens[ig], "batch": json.dumps(ops)})
                assert r.status_code == 200
                return len(ops)

            batches = await run_for(args.seconds, max(4, args.concurrency // 5), batch)
            batch_rate = batches * 50 / args.seconds
            requests = (await http.get("/_sim/requests")).json()["summary"]
    finally:
        proc.terminate()
        proc.wait(10)
    return {"node_reads_per_s": round(node_rate, 1),
            "node_reads_per_server_cpu_s": round(node_per_cpu_s, 1) if node_per_cpu_s else None, "batch_items_per_s": round(batch_rate, 1),
            "rss_mb_1000_accounts": round(rss_mb, 1), "accounts": args.accounts,
            "daily_sync_s": round(sync_s, 2), "daily_sync_round_trips": len(ids) * 4,
            "counted_calls_total": requests["counted_calls"], "concurrency": args.concurrency}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    result = asyncio.run(main_async(args))
    print(f"node reads/s {result['node_reads_per_s']}, batch items/s {result['batch_items_per_s']}, "
          f"RSS {result['rss_mb_1000_accounts']} MB after a daily sync of {result['accounts']} accounts "
          f"({result['daily_sync_s']} s)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()

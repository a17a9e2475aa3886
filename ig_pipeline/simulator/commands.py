"""The ``simulator`` CLI subcommand."""

from __future__ import annotations


def add_commands(subparsers) -> None:
    cmd = subparsers.add_parser("simulator", help="run the local Instagram Graph API simulator")
    cmd.add_argument("--host", default="127.0.0.1")
    cmd.add_argument("--port", type=int, default=8765)
    cmd.add_argument("--accounts", type=int, default=25)
    cmd.add_argument("--seed", type=int, default=1)
    cmd.add_argument("--latency-ms", type=float, default=0)
    cmd.add_argument("--media", type=int, default=None, help="about this many posts per account")
    cmd.set_defaults(func=_run)


def _run(args) -> int:
    from ig_pipeline.simulator import SimConfig
    from ig_pipeline.simulator.server import serve

    config = SimConfig(accounts=args.accounts, seed=args.seed, latency_ms=args.latency_ms,
                       media_per_account=args.media)
    print(f"simulator: http://{args.host}:{args.port} ({args.accounts} accounts, seed {args.seed}); "
          f"admin at /_sim/world", flush=True)
    serve(args.host, args.port, config)
    return 0

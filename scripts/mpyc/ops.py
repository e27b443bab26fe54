"""The operations of `consort bench mpc`, in MPyC, for scripts/bench-mpyc.

Run as: CONSORT_OP=mul CONSORT_N=10000 python ops.py -M3   (MPyC starts the three parties on localhost; it parses
the command line itself, hence the environment variables)
Prints one JSON line (party 0 only): {"op", "n", "seconds", "opsPerSecond"}.
Inputs are shared by party 0 (mpc.input) before the clock starts; the clock stops when every party holds its shares of
the result (mpc.gather, no opening), as in Consort's benchmark.
"""
import json
import os
import random
import time

from mpyc.runtime import mpc
import mpyc.random as securerandom
import mpyc.statistics as statistics

OP = os.environ["CONSORT_OP"]
N = int(os.environ["CONSORT_N"])

secint = mpc.SecInt(64)
secfxp = mpc.SecFxp(64, 16)


def values(bits):
    return [random.randrange(-(1 << (bits - 1)), 1 << (bits - 1)) for _ in range(N)]


async def main():
    await mpc.start()
    n, op = N, OP
    if op == "stats":
        kind, x_plain, y_plain = secfxp, [random.randrange(0, 1 << 12) for _ in range(n)], None
    else:
        bits = 32 if op == "sort" else 62
        kind, x_plain, y_plain = secint, values(bits), values(bits)
    x = mpc.input([kind(v) for v in x_plain], senders=0)
    y = mpc.input([kind(v) for v in y_plain], senders=0) if y_plain is not None else None
    await mpc.barrier()
    start = time.perf_counter()
    if op == "mul":
        result = mpc.schur_prod(x, y)
    elif op == "dot":
        result = [mpc.in_prod(x, y)]
    elif op == "lt":
        result = [a < b for a, b in zip(x, y)]
    elif op == "eq":
        result = [a == b for a, b in zip(x, y)]
    elif op == "shuffle":
        result = list(x)
        securerandom.shuffle(secint, result)
    elif op == "sort":
        result = mpc.sorted(x)
    elif op == "stats":
        result = [mpc.sum(x), mpc.in_prod(x, x), statistics.mean(x), statistics.pvariance(x)]
    else:
        raise SystemExit(f"unknown --op {op}")
    await mpc.gather(result)
    await mpc.barrier()
    seconds = time.perf_counter() - start
    if mpc.pid == 0:
        print(json.dumps({"op": op, "n": n, "seconds": seconds, "opsPerSecond": n / seconds}), flush=True)
    await mpc.shutdown()


mpc.run(main())

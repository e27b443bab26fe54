#!/usr/bin/env python3
"""Delay relay of the network lab (test tooling, not part of Consort): this kernel has no netem, so link latency is
added in user space.

`Deploy/netns/lab` starts one relay in each host's network namespace and has nftables redirect the host's outgoing TCP
connections to other lab hosts here. The relay reads the original destination (SO_ORIGINAL_DST), connects to it from
a marked socket (the redirect rule skips mark 1, and the source address stays the host's own), and forwards both
directions, releasing every chunk `--delay-ms` after it was read. Each connection crosses exactly one relay (its
client's), so a round trip gains twice the delay. Order and half-closes are kept; a bounded queue gives back-pressure.
"""

import argparse
import asyncio
import os
import socket
import struct

SO_ORIGINAL_DST = 80
SO_MARK = 36
MARK = 1
CHUNK = 256 * 1024
LATE = 0.0012
RETRY = 10


async def pump(reader, writer, delay):
    """Copies reader to writer, each chunk `delay` seconds late; ends with a half-close (or a close on error)."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue(maxsize=512)

    async def read():
        try:
            while True:
                data = await reader.read(CHUNK)
                await queue.put((loop.time() + delay, data))
                if not data:
                    return
        except (ConnectionError, OSError):
            await queue.put((loop.time(), None))

    reading = asyncio.create_task(read())
    try:
        while True:
            due, data = await queue.get()
            # The event loop wakes up to about a millisecond late (epoll rounds its timeout up to whole
            # milliseconds, and a wake-up costs some more): ask for that much less.
            wait = due - loop.time() - LATE
            if wait > 0:
                await asyncio.sleep(wait)
            if data is None:
                writer.transport.abort()
                return
            if not data:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        writer.transport.abort()
    finally:
        reading.cancel()


async def connect(host, port):
    """A marked connection to host:port. The client's connection is already accepted (by the redirect), so a refusal
    cannot reach it as one: a server not listening yet is retried for up to RETRY seconds, as a client would retry."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + RETRY
    while True:
        upstream = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        upstream.setsockopt(socket.SOL_SOCKET, SO_MARK, MARK)
        upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        upstream.setblocking(False)
        try:
            await loop.sock_connect(upstream, (host, port))
            return upstream
        except ConnectionRefusedError:
            upstream.close()
            if loop.time() > give_up:
                raise
            await asyncio.sleep(0.1)


async def serve(client_reader, client_writer, delay):
    sock = client_writer.get_extra_info("socket")
    upstream_writer = None
    try:
        raw = sock.getsockopt(socket.SOL_IP, SO_ORIGINAL_DST, 16)
        port = struct.unpack_from("!H", raw, 2)[0]
        host = socket.inet_ntoa(raw[4:8])
        if (host, port) == sock.getsockname()[:2]:
            # Not redirected (a readiness probe of the relay itself): connecting on would loop.
            client_writer.transport.abort()
            return
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # The connection attempt itself (SYN, SYN-ACK) crosses the link too.
        await asyncio.sleep(delay)
        upstream = await connect(host, port)
        await asyncio.sleep(delay)
        upstream_reader, upstream_writer = await asyncio.open_connection(sock=upstream, limit=CHUNK)
    except (ConnectionError, OSError):
        client_writer.transport.abort()
        return
    await asyncio.gather(
        pump(client_reader, upstream_writer, delay), pump(upstream_reader, client_writer, delay))
    for writer in (client_writer, upstream_writer):
        writer.close()


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="the port on 127.0.0.1 nftables redirects to")
    parser.add_argument("--delay-ms", type=float, required=True, help="added one-way delay, per direction")
    arguments = parser.parse_args()
    delay = arguments.delay_ms / 1000
    server = await asyncio.start_server(
        lambda r, w: serve(r, w, delay), "127.0.0.1", arguments.port, limit=CHUNK, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    # A daemon: keep no descriptor of whoever started it (a caller reading its own pipe to the end would wait forever).
    os.closerange(3, 4096)
    asyncio.run(main())

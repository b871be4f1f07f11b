"""The edge's program: it runs inside the edge container, on the cloud network, with the standard library only.

The local cloud's servers run on the host and listen on 127.0.0.1; containers cannot reach the host, and on Docker
Desktop, Colima or a rootless engine the host cannot reach containers either. Only the host's connections to a
port the edge publishes on 127.0.0.1 cross over. So the host opens those connections ahead of time ("spares"), and
the edge hands each connection a container makes to one of them:

    host → edge control port:  "SPARE\\n"        park this connection until a container connects
                               "LISTEN <port>\\n" accept connections on <port> in the cloud network; answers "OK\\n"
                               "CLOSE <port>\\n"  stop accepting on <port>; answers "OK\\n"
                               "PING\\n"          answers "OK\\n"
                               "DIAL <host> <port>\\n"  connect to <host>:<port> in the cloud network (a container's
                                                 address or name); answers "OK\\n", then carries bytes both ways,
                                                 or "ERR <reason>\\n"
    edge → a parked spare:     "<port>\\n", then the container's bytes both ways
"""
import asyncio
import sys

try:
    from localcloud.edge.streams import splice
except ModuleNotFoundError:  # in its container the program sits next to `streams.py`, without the package
    from streams import splice

SPARE_WAIT_S = 10  # a container's connection waits this long for the host to offer a spare, then is closed
DIAL_TIMEOUT_S = 10  # as long as a load balancer waits to connect to a target


class Edge:
    def __init__(self):
        self.spares: asyncio.Queue = asyncio.Queue()
        self.listeners: dict[int, asyncio.AbstractServer] = {}

    async def control(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        words = (await reader.readline()).decode("ascii", "replace").split()
        if words == ["SPARE"]:
            await self.spares.put((reader, writer))  # kept open: a container's connection will use it
            return
        if len(words) == 3 and words[0] == "DIAL":
            await self.dial(words[1], words[2], reader, writer)
            return
        try:
            answer = await self.command(words)
        except (OSError, ValueError) as error:
            answer = f"ERR {error}"
        writer.write(f"{answer}\n".encode())
        await writer.drain()
        writer.close()

    async def command(self, words: list[str]) -> str:
        if words == ["PING"]:
            return "OK"
        if len(words) == 2 and words[0] == "LISTEN":
            port = int(words[1])
            if port not in self.listeners:
                self.listeners[port] = await asyncio.start_server(
                    lambda r, w, port=port: self.inbound(port, r, w), "0.0.0.0", port, backlog=512, reuse_address=True)
            return "OK"
        if len(words) == 2 and words[0] == "CLOSE":
            server = self.listeners.pop(int(words[1]), None)
            if server is not None:
                server.close()
            return "OK"
        raise ValueError(f"unknown command {' '.join(words)!r}")

    async def dial(self, host: str, port: str, reader, writer) -> None:
        try:
            target = await asyncio.wait_for(asyncio.open_connection(host, int(port)), DIAL_TIMEOUT_S)
        except (OSError, ValueError, asyncio.TimeoutError) as error:
            writer.write(f"ERR {type(error).__name__}: {error}\n".encode())
            await writer.drain()
            writer.close()
            return
        writer.write(b"OK\n")
        await splice(reader, writer, *target)

    async def take_spare(self):
        while True:
            reader, writer = await self.spares.get()
            if not reader.at_eof() and not writer.is_closing():  # the host may have closed it since
                return reader, writer
            writer.close()

    async def inbound(self, port: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            spare_reader, spare_writer = await asyncio.wait_for(self.take_spare(), SPARE_WAIT_S)
        except asyncio.TimeoutError:
            writer.close()
            return
        spare_writer.write(f"{port}\n".encode())
        await splice(reader, writer, spare_reader, spare_writer)


async def main(control_port: int) -> None:
    edge = Edge()
    server = await asyncio.start_server(edge.control, "0.0.0.0", control_port, backlog=512, reuse_address=True)
    print(f"edge: control port {control_port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))

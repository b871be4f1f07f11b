"""A Cloud Map name's relay: runs in its own container on the cloud network, with the standard library only.

The relay answers to one ECS service's Cloud Map names (network aliases, e.g. `catalog.bookshop.local`) and accepts
on the service's ports. A connection reaches one of the service's tasks only if that task's security groups admit
the caller, a task of the cloud identified by its address on the network; otherwise nothing answers and the caller
times out, as on AWS, where a security group drops the packets. The host decides who is admitted and tells the
relay on its control port (published on 127.0.0.1):

    host → control port:  "STATE <json>\\n"  {"<port>": [["<task IP>", ["<admitted caller IP>", …]], …], …}
                                             answers "OK\\n"; the relay accepts on exactly those ports
                          "PING\\n"          answers "OK\\n"
"""
import asyncio
import itertools
import json
import sys

try:
    from localcloud.edge.streams import BUFFER, splice
except ModuleNotFoundError:  # in its container the program sits next to `streams.py`, without the package
    from streams import BUFFER, splice

LISTEN_HOST = "0.0.0.0"  # every address of the relay's container on the cloud network
CONNECT_TIMEOUT_S = 10
# A caller not admitted yet waits this long for newer rules (a task just started, a rule just added) before its
# connection is dropped.
GRACE_S = 5.0
# A dropped connection gets no answer; it is let go after this (about as long as Linux retries a connect).
HOLD_S = 130.0


class Relay:
    def __init__(self):
        self.state: dict[int, list[tuple[str, frozenset[str]]]] = {}
        self.listeners: dict[int, asyncio.AbstractServer] = {}
        self.turns = itertools.count()

    async def control(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        line = (await reader.readline()).decode("utf-8", "replace").strip()
        try:
            if line == "PING":
                answer = "OK"
            elif line.startswith("STATE "):
                await self.apply(json.loads(line.removeprefix("STATE ")))
                answer = "OK"
            else:
                answer = f"ERR unknown command {line[:40]!r}"
        except (OSError, ValueError) as error:
            answer = f"ERR {error}"
        writer.write(f"{answer}\n".encode())
        await writer.drain()
        writer.close()

    async def apply(self, state: dict) -> None:
        self.state = {int(port): [(ip, frozenset(callers)) for ip, callers in targets]
                      for port, targets in state.items()}
        for port in list(self.listeners):
            if port not in self.state:
                self.listeners.pop(port).close()
        for port in self.state:
            if port not in self.listeners:
                self.listeners[port] = await asyncio.start_server(
                    lambda r, w, port=port: self.inbound(port, r, w), LISTEN_HOST, port, backlog=512,
                    reuse_address=True)

    def targets_for(self, port: int, caller: str) -> list[str]:
        return [ip for ip, callers in self.state.get(port, []) if caller in callers]

    async def inbound(self, port: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        caller = writer.get_extra_info("peername")[0]
        targets = self.targets_for(port, caller)
        waited = 0.0
        while not targets and waited < GRACE_S:
            await asyncio.sleep(0.1)
            waited += 0.1
            targets = self.targets_for(port, caller)
        if not targets:
            await hold(reader)
            writer.close()
            return
        target = targets[next(self.turns) % len(targets)]
        try:
            upstream = await asyncio.wait_for(asyncio.open_connection(target, port), CONNECT_TIMEOUT_S)
        except (OSError, asyncio.TimeoutError):
            writer.close()
            return
        await splice(reader, writer, *upstream)


async def hold(reader: asyncio.StreamReader) -> None:
    """Read and drop what the caller sends, answer nothing, until it gives up or HOLD_S passes."""
    try:
        await asyncio.wait_for(drain(reader), HOLD_S)  # read at call time: tests shorten it
    except (asyncio.TimeoutError, OSError):
        pass


async def drain(reader: asyncio.StreamReader) -> None:
    while await reader.read(BUFFER):
        pass


async def main(control_port: int) -> None:
    relay = Relay()
    server = await asyncio.start_server(relay.control, LISTEN_HOST, control_port, backlog=64, reuse_address=True)
    print(f"cloud map relay: control port {control_port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))

"""The servers' shared runtime: a loop in a thread, and per-port servers that close their client connections too."""
import asyncio
import socket
import threading

import pytest

from localcloud.serving import LoopThread, PortServers


def listening_socket():
    sock = socket.create_server(("127.0.0.1", 0))
    sock.setblocking(False)
    return sock, sock.getsockname()[1]


def test_call_runs_on_the_loop_and_stop_ends_the_thread():
    ran_on = []
    runner = LoopThread("t").start(on_stop=lambda: ran_on.append("stopped"))
    assert runner.call(lambda: threading.current_thread().name) == "t"
    runner.stop()
    assert not runner.running and ran_on == ["stopped"]


def test_an_error_on_the_loop_reaches_the_caller():
    runner = LoopThread("t").start()
    try:
        with pytest.raises(ZeroDivisionError):
            runner.call(lambda: 1 / 0)
    finally:
        runner.stop()


def test_close_all_closes_the_ports_and_the_open_client_connections():
    async def hold(key, reader, writer):
        writer.write(key.encode())
        await reader.read()  # until the client or close_all ends it

    runner = LoopThread("t").start()
    servers = PortServers(hold)
    sock, port = listening_socket()
    try:
        runner.submit(servers.serve("lb-1", sock)).result(5)
        client = socket.create_connection(("127.0.0.1", port), timeout=5)
        assert client.recv(4) == b"lb-1" and servers.keys() == {"lb-1"}
        runner.call(servers.close_all)
        assert client.recv(4) == b""  # the server side closed the connection
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5)
        assert servers.keys() == set()
    finally:
        runner.stop()

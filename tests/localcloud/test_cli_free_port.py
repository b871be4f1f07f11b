"""`localcloud up` checks its port as its server binds it: a port that only holds closed connections (TIME_WAIT, for
about a minute after `localcloud down`) is free; a port something listens on is taken."""
import socket

import pytest

from localcloud import cli
from localcloud.config import Config


def listening() -> socket.socket:
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the control plane's server binds
    server.bind(("127.0.0.1", 0))
    server.listen()
    return server


def test_a_port_left_with_closed_connections_is_free_again():
    server = listening()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()  # the server side closes first: its end of the connection waits in TIME_WAIT
    server.close()
    client.close()
    cli.require_free_port(Config(host="127.0.0.1", port=port))


def test_a_port_something_listens_on_is_taken_with_the_way_out():
    server = listening()
    try:
        with pytest.raises(cli.CommandError, match="is taken: stop what listens there"):
            cli.require_free_port(Config(host="127.0.0.1", port=server.getsockname()[1]))
    finally:
        server.close()

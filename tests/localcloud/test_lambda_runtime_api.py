"""The Runtime API as awslambdaric sees it: the headers it needs, one write per response, 100-continue."""
import json
import socket

from localcloud.awslambda.runtime_api import Next, RuntimeApiServer


class OneInvocation:
    def __init__(self):
        self.results = []

    def next_invocation(self):
        return Next(b'{"n": 1}', {"Lambda-Runtime-Aws-Request-Id": "r-1", "Lambda-Runtime-Deadline-Ms": "99",
                                  "Lambda-Runtime-Invoked-Function-Arn": "arn:f", "Lambda-Runtime-Trace-Id": "Root=1"})

    def invocation_result(self, request_id, body, error_type):
        self.results.append((request_id, body, error_type))
        return request_id == "r-1"

    def init_error(self, body, error_type):
        self.results.append(("init", body, error_type))


def exchange(server, request: bytes, body_after_continue: bytes | None = None) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as connection:
        connection.sendall(request)
        answer = connection.recv(65536)
        if body_after_continue is not None:
            assert answer == b"HTTP/1.1 100 Continue\r\n\r\n"
            connection.sendall(body_after_continue)
            answer = connection.recv(65536)
        return answer


def test_next_sends_every_header_awslambdaric_needs_in_one_write():
    server = RuntimeApiServer("127.0.0.1", OneInvocation()).start()
    try:
        answer = exchange(server, b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n")
    finally:
        server.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK") and body == b'{"n": 1}'  # headers and body in one segment
    for header in (b"Lambda-Runtime-Aws-Request-Id: r-1", b"Lambda-Runtime-Deadline-Ms: 99",
                   b"Lambda-Runtime-Invoked-Function-Arn: arn:f", b"Lambda-Runtime-Trace-Id: Root=1"):
        assert header in head


def test_a_result_is_accepted_after_100_continue_and_an_unknown_id_is_refused():
    handlers = OneInvocation()
    server = RuntimeApiServer("127.0.0.1", handlers).start()
    try:
        body = json.dumps({"ok": True}).encode()
        continued = exchange(server, b"POST /2018-06-01/runtime/invocation/r-1/response HTTP/1.1\r\n"
                             b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body),
                             body_after_continue=body)
        accepted = exchange(server, b"POST /2018-06-01/runtime/invocation/r-1/error HTTP/1.1\r\n"
                            b"Lambda-Runtime-Function-Error-Type: ValueError\r\nContent-Length: 2\r\n\r\n{}")
        refused = exchange(server, b"POST /2018-06-01/runtime/invocation/r-2/response HTTP/1.1\r\n"
                           b"Content-Length: 2\r\n\r\n{}")
    finally:
        server.close()
    assert continued.startswith(b"HTTP/1.1 202 Accepted") and accepted.startswith(b"HTTP/1.1 202 Accepted")
    assert refused.startswith(b"HTTP/1.1 400") and b"InvalidRequestID" in refused
    assert handlers.results[:2] == [("r-1", body, None), ("r-1", b"{}", "ValueError")]

"""Where API Gateway's requests come from, as a load balancer sees them.

On AWS a public HTTP integration reaches a load balancer from AWS's public addresses, never from the learner's
machine, so a `source-ip` rule that lets the learner reach the fault switches keeps the public API out. Here both
run in this process on loopback: the gateway marks its requests with a header whose value only this process knows,
and the listener judges a marked request by a public address (and drops the mark before it forwards).
"""
import secrets

HEADER = "X-Localcloud-Public-Source"
TOKEN = secrets.token_hex(16)
# Stands for an AWS public address: a documentation range (RFC 5737), never contacted.
PUBLIC_ADDRESS = "203.0.113.10"


def mark() -> tuple[str, str]:
    return HEADER, TOKEN


def source_and_headers(headers: list[tuple[str, str]], peer_ip: str) -> tuple[str, list[tuple[str, str]]]:
    """The request's source address for the rules, and its headers without the mark."""
    marked = any(name.lower() == HEADER.lower() and value == TOKEN for name, value in headers)
    unmarked = [(name, value) for name, value in headers if name.lower() != HEADER.lower()]
    return (PUBLIC_ADDRESS if marked else peer_ip), unmarked

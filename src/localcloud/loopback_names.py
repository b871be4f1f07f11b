"""`*.localhost` names resolve to 127.0.0.1 in this Python, as RFC 6761 (section 6.3) asks and as curl and browsers do.

The local cloud names its servers under `.localhost` (`elb.localhost:41234`), so a load balancer's DNSName or an
API's endpoint works as returned both on this host and in containers, where the names are the edge's aliases.
glibc and macOS's resolver do not special-case such names, so this module teaches Python's resolver to: importing
it installs the rule once, process-wide. `setup.prepare` also installs it for every Python of the workshop's
environment (a `.pth` file), and `import localcloud` does too.
"""
import socket

SUFFIX = ".localhost"
_resolve = socket.getaddrinfo


def is_loopback_name(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    return isinstance(host, str) and host.rstrip(".").lower().endswith(SUFFIX)


def getaddrinfo(host, *args, **kwargs):
    return _resolve("127.0.0.1" if is_loopback_name(host) else host, *args, **kwargs)


def install() -> None:
    socket.getaddrinfo = getaddrinfo


install()

"""ELBv2 data plane: Application Load Balancers that really route HTTP on this machine.

How a load balancer is reached
------------------------------
On AWS, `DNSName` is a host name and each listener is a port on it. Offline there is no DNS, and one process cannot
bind port 80 for every load balancer, so each load balancer gets its own port on 127.0.0.1 and its `DNSName` is
`elb.localhost:<that port>`: this host resolves the name to 127.0.0.1, and in containers it is the cloud's edge,
which carries the connection to the same port here (`localcloud.edge`). That port serves the load balancer's
port-80 listener (or, without one, its first HTTP listener), so `http://{DNSName}/path` works as returned, in a
notebook, with curl, in a browser or in a task. Every listener also has a port of its own;
`Elbv2Plane.listener_url(listener_arn)` and `localcloud status` show them.
HTTPS listeners are served as plain HTTP (there are no certificates offline).

What it does as an ALB would
----------------------------
Rules by priority with path-pattern, host-header, http-header, http-request-method, query-string and source-ip
conditions; fixed-response, redirect, and forward actions (weighted target groups get requests in proportion to
their weights); the default action for everything else. A request goes to the next healthy target of the target
group (round robin) with X-Forwarded-For/-Proto/-Port added, over kept-alive connections. Real HTTP health checks
follow each target group's settings and drive `describe_target_health`; deregistered targets drain.
No healthy target gives 503, a target that refuses or drops the connection 502, one that does not answer within the
load balancer's idle timeout 504. One difference: an ALB whose targets are all unhealthy fails open and tries them
anyway; this one answers 503, so a broken service shows as broken.
"""
from localcloud.elbv2.plane import Elbv2Plane

__all__ = ["Elbv2Plane"]

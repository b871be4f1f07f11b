"""Tests of the local cloud: each module starts its own cloud (port 0, a unique instance name)."""
import os

# The ECR front listens on 4510 by default; tests pick free ports so they never meet a running cloud.
os.environ.setdefault("LOCALCLOUD_REGISTRY_PORT", "0")


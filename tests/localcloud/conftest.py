"""Tests of the local cloud: the core and each data plane, against a real Docker engine with real clients."""

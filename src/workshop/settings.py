"""One source of truth for names, versions and ports that setup, doctor, notebooks and tests share."""
import os

KERNEL_NAME = "python3"
MIN_PYTHON = (3, 11)

# Base images that learner Dockerfiles and the local cloud start FROM.
PYTHON_BASE_IMAGE = "python:3.13-slim"
REGISTRY_IMAGE = "registry:2"
# Zip functions of the local cloud run in it; learner Lambda images start FROM it.
LAMBDA_PYTHON_BASE_IMAGE = "public.ecr.aws/lambda/python:3.13"
BASE_IMAGES = (PYTHON_BASE_IMAGE, REGISTRY_IMAGE, LAMBDA_PYTHON_BASE_IMAGE)

# Label carried by local stand-ins for the official images (built by setup/ when they cannot be pulled).
STANDIN_LABEL = "org.workshop.standin"
# Every container, network and image the workshop itself creates carries this label.
WORKSHOP_LABEL = "org.workshop.managed"

LAB_PORT = 8888
LOCALCLOUD_PORT = 4566
# Ports the notebooks publish containers on (loopback only); a second run beside the first, on another engine
# (tests/run_all.sh), sets its own.
MONOLITH_PORT = int(os.environ.get("WORKSHOP_MONOLITH_PORT", 18080))
EXERCISE_PORT = int(os.environ.get("WORKSHOP_EXERCISE_PORT", 18081))

MIN_FREE_DISK_GB = 3

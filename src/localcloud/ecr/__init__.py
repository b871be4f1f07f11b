"""ECR data plane: a real registry container behind a front that adds ECR's auth, repositories and immutability."""
from localcloud.ecr.plane import EcrPlane

__all__ = ["EcrPlane"]

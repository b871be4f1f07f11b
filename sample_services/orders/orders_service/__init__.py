"""The orders service: places orders against the catalog service over HTTP and announces them on Amazon SNS."""

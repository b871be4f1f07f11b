"""Lambda data plane: functions run in warm containers through awslambdaric, against a Runtime API served here."""
from localcloud.awslambda.invocation import (FunctionNotFound, InvalidRequestContent, Invocation, LambdaInvokeError,
                                             Throttled)
from localcloud.awslambda.plane import LambdaPlane

__all__ = ["FunctionNotFound", "InvalidRequestContent", "Invocation", "LambdaInvokeError", "LambdaPlane", "Throttled"]

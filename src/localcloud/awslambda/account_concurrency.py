"""The account's Lambda concurrency: its limit (a quota, so a setting here), what functions reserve of it, and the
rest, which every function without a reservation shares.

`LOCALCLOUD_LAMBDA_ACCOUNT_CONCURRENCY` is the limit: 1000, AWS's default quota, unless set; 10 plays a new account,
as many new accounts have (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
"""
import os

from moto.awslambda.exceptions import InvalidParameterValueException

ACCOUNT_CONCURRENCY_ENV = "LOCALCLOUD_LAMBDA_ACCOUNT_CONCURRENCY"
DEFAULT_ACCOUNT_CONCURRENCY = 1000
# "You can reserve up to the Unreserved account concurrency value minus 100" — an account whose whole limit is
# below 100 keeps all of it unreserved (AWS's error then names the limit as the minimum)
# (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html).
UNRESERVED_MINIMUM = 100
# GetAccountSettings' fixed quotas (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
TOTAL_CODE_SIZE = 80530636800
CODE_SIZE_UNZIPPED = 262144000
CODE_SIZE_ZIPPED = 52428800


def account_limit() -> int:
    return int(os.environ.get(ACCOUNT_CONCURRENCY_ENV, DEFAULT_ACCOUNT_CONCURRENCY))


def reserved_total(backend, except_function: str | None = None) -> int:
    return sum(int(fn.reserved_concurrency) for fn in list(backend.list_functions())
               if fn.reserved_concurrency is not None and fn.function_name != except_function)


def unreserved(backend) -> int:
    """What the functions without a reservation share, together."""
    return account_limit() - reserved_total(backend)


def check_reservation(backend, function_name: str, requested: int) -> None:
    """PutFunctionConcurrency: the reservation, with the others', must leave the account its unreserved minimum."""
    limit = account_limit()
    minimum = min(UNRESERVED_MINIMUM, limit)
    if limit - reserved_total(backend, except_function=function_name) - int(requested) < minimum:
        raise InvalidParameterValueException(
            "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution "
            f"below its minimum value of [{minimum}].")


def account_settings(backend) -> dict:
    """GetAccountSettings (moto has none)."""
    functions = list(backend.list_functions())
    return {"AccountLimit": {"TotalCodeSize": TOTAL_CODE_SIZE, "CodeSizeUnzipped": CODE_SIZE_UNZIPPED,
                             "CodeSizeZipped": CODE_SIZE_ZIPPED, "ConcurrentExecutions": account_limit(),
                             "UnreservedConcurrentExecutions": unreserved(backend)},
            "AccountUsage": {"TotalCodeSize": sum(int(fn.code_size or 0) for fn in functions),
                             "FunctionCount": len(functions)}}

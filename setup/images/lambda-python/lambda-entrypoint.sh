#!/bin/sh
# As in the official image: the CMD is the handler ("app.handler"); the runtime client runs it.
if [ $# -ne 1 ]; then
    echo "entrypoint requires the handler name to be the first argument (e.g. CMD [\"app.handler\"])" 1>&2
    exit 142
fi
export _HANDLER="$1"
if [ -z "${AWS_LAMBDA_RUNTIME_API}" ]; then
    echo "AWS_LAMBDA_RUNTIME_API is not set. This local stand-in has no Runtime Interface Emulator:" 1>&2
    echo "create a Lambda function from this image in the local cloud and invoke it there." 1>&2
    exit 1
fi
export PYTHONPATH="${LAMBDA_TASK_ROOT}${PYTHONPATH:+:${PYTHONPATH}}"
exec python -m awslambdaric "$1"

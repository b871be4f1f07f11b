"""A deployment reaching its stage at the `aws` pace: for AWS's few seconds (compressed) the stage still serves the
deployment it had, or, if it had none, is not there yet ("a few seconds" until the change is live:
https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-deploy-api.html). At the `local` pace a
deployment serves at once.
"""
from localcloud import pace as pacing

ROLLOUT_ATTRIBUTE = "localcloud_rollout"  # set on moto's stage objects: (previous deployment id, effective at, clock)


def begin(cloud, stage, previous_deployment_id: str | None) -> None:
    """A new deployment was just given to `stage`, which served `previous_deployment_id` (None: nothing)."""
    pace = pacing.pace_of(cloud)
    if not pace.aws:
        return
    clock = pacing.clock_of(cloud)
    setattr(stage, ROLLOUT_ATTRIBUTE, (previous_deployment_id, clock() + pace.lasts(pacing.API_DEPLOYMENT_S), clock))


def deployment_served(stage, deployment_id: str | None) -> str | None:
    """The deployment a stage whose current deployment is `deployment_id` serves now."""
    rollout = getattr(stage, ROLLOUT_ATTRIBUTE, None)
    if rollout is None:
        return deployment_id
    previous, effective_at, clock = rollout
    return deployment_id if clock() >= effective_at else previous

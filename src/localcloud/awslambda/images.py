"""An Image function's image comes from the local ECR registry (pulled with ECR's credentials); others must exist."""
import docker

from localcloud.awslambda.function_spec import RUNTIME_IMAGE
from localcloud.image_references import registry_host, split_reference


class ImageUnavailable(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.learner_message = message


def ensure_image(cloud, image: str) -> None:
    ecr = cloud.part("ecr")
    if ecr is not None and registry_host(image) == ecr.registry_host:
        repository, tag = split_reference(image)
        try:
            cloud.docker.images.pull(repository, tag=tag, auth_config=ecr.auth_config())
        except docker.errors.APIError as error:
            raise ImageUnavailable(f"Could not pull {image} from the local ECR registry "
                                   f"({error.explanation or error}); push it first, then invoke again.") from None
        return
    try:
        cloud.docker.images.get(image)
    except docker.errors.ImageNotFound:
        hint = ("run `make lab` (or `python -m setup.base_images`) to build it" if image == RUNTIME_IMAGE
                else "push it to the local cloud's ECR and use the repositoryUri")
        raise ImageUnavailable(f"The image {image} is not on the Docker engine: {hint}.") from None

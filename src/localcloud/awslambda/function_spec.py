"""A snapshot of what one function version runs, taken from moto's model; a change of revision replaces containers."""
import dataclasses
import functools
import hashlib
import io
import json
import tarfile
import zipfile
from dataclasses import dataclass, field

# Zip functions of every supported Python runtime run in this image (its Python is 3.13; see docs/localcloud.md).
RUNTIME_IMAGE = "public.ecr.aws/lambda/python:3.13"
SUPPORTED_RUNTIMES = ("python3.11", "python3.12", "python3.13")


class UnsupportedFunction(Exception):
    """The function cannot run locally (another language's runtime, no handler…); the message says what to do."""


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    arn: str                      # qualified for a published version, as moto keeps it
    version: str
    package_type: str
    handler: str | None
    runtime: str | None
    memory_mb: int
    timeout_s: float
    environment: dict[str, str]
    image_uri: str | None
    image_command: list[str] | None
    image_entry_point: list[str] | None
    image_working_directory: str | None
    code_sha256: str
    code_zip: bytes = field(repr=False, default=b"")

    @functools.cached_property
    def revision(self) -> str:
        """Everything that, when changed, must not be served by a container started before the change."""
        facts = {field.name: getattr(self, field.name) for field in dataclasses.fields(self) if field.name != "code_zip"}
        return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()

    @property
    def image(self) -> str:
        return self.image_uri if self.package_type == "Image" else RUNTIME_IMAGE

    def command(self) -> list[str] | None:
        return self.image_command if self.package_type == "Image" else [self.handler]

    def code_archive(self) -> bytes:
        """The zip's files as a tar stream for `put_archive` into /var/task (readable by anyone, as on AWS)."""
        output = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(self.code_zip)) as archive, tarfile.open(fileobj=output, mode="w") as tar:
            for entry in archive.infolist():
                info = tarfile.TarInfo(entry.filename.rstrip("/"))
                if entry.is_dir():
                    info.type, info.mode = tarfile.DIRTYPE, 0o755
                    tar.addfile(info)
                    continue
                data = archive.read(entry)
                info.size = len(data)
                info.mode = 0o755 if (entry.external_attr >> 16) & 0o111 else 0o644
                tar.addfile(info, io.BytesIO(data))
        return output.getvalue()


def spec_of(fn) -> FunctionSpec:
    """moto's LambdaFunction → FunctionSpec, or UnsupportedFunction with the reason."""
    package_type = fn.package_type or "Zip"
    if package_type == "Zip":
        if fn.run_time not in SUPPORTED_RUNTIMES:
            raise UnsupportedFunction(
                f"The runtime {fn.run_time!r} is not available in the local cloud; use one of "
                f"{', '.join(SUPPORTED_RUNTIMES)}, or PackageType=Image.")
        if not fn.handler:
            raise UnsupportedFunction("The function has no Handler (e.g. 'app.handler').")
    image_config = fn.image_config
    return FunctionSpec(
        name=fn.function_name, arn=fn.function_arn, version=str(fn.version), package_type=package_type,
        handler=fn.handler, runtime=fn.run_time, memory_mb=int(fn.memory_size or 128),
        timeout_s=float(fn.timeout or 3), environment=dict(fn.environment_vars or {}),
        image_uri=fn.code.get("ImageUri") if package_type == "Image" else None,
        image_command=list(image_config.cmd) if image_config.cmd else None,
        image_entry_point=list(image_config.entry_point) if image_config.entry_point else None,
        image_working_directory=image_config.working_directory or None,
        code_sha256=fn.code_sha_256 or "", code_zip=getattr(fn, "code_bytes", b"") if package_type == "Zip" else b"")

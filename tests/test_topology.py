"""The topology probe: on a real engine it finds the paths the workshop needs and leaves nothing behind; its verdict
fails only on a needed path, and names the topology either way."""
import time
import uuid

import docker
import pytest

from localcloud import engine as engines
from setup.rootless_engine import docker_host as rootless_host
from setup.rootless_engine import engine_version
from workshop import doctor, topology
from workshop.settings import PYTHON_BASE_IMAGE
from workshop.topology import CLOUD_FIX, PROBE_LABEL, Paths, verdict

DESKTOP_LIKE = "published ports only (Docker Desktop / Colima / rootless topology)"


@pytest.fixture(params=["selected", "rootless"])
def engine(request, monkeypatch):
    """A client for the engine the workshop selects, and for the rootless engine (Desktop's topology) when it runs."""
    if request.param == "rootless":
        if engine_version(rootless_host()) is None:
            pytest.skip(f"no rootless engine answers at {rootless_host()} (`python -m setup.rootless_engine` starts one)")
        monkeypatch.setenv("DOCKER_HOST", rootless_host())  # the local cloud started below uses it too
    try:
        client = engines.client(timeout=topology.TIMEOUT_S)
        client.ping()
    except Exception as error:
        pytest.skip(f"no Docker engine: {error}")
    try:
        client.images.get(PYTHON_BASE_IMAGE)
    except docker.errors.ImageNotFound:
        pytest.skip(f"{PYTHON_BASE_IMAGE} is not in this engine (`python -m setup.base_images` provides it)")
    yield client
    client.close()


def left_behind(client, run: str) -> list:
    label = {"label": f"{PROBE_LABEL}={run}"}
    return client.containers.list(all=True, filters=label) + client.networks.list(filters=label)


@pytest.mark.docker
def test_the_probe_finds_both_needed_paths_and_leaves_nothing_behind(engine, request):
    paths = topology.probe(engine)

    assert paths.problem == "" and paths.reasons == []
    assert paths.published and paths.by_name
    assert paths.container_ip is not None
    if "rootless" in request.node.callspec.id:
        assert paths.container_ip is False  # the reason that engine exists: Docker Desktop's topology on Linux
    assert verdict(paths)[0]
    assert left_behind(engine, paths.run) == []


@pytest.mark.docker
def test_a_running_local_cloud_is_reached_by_its_name_from_its_network(engine):
    import localcloud
    from localcloud.config import Config

    with localcloud.running(Config(port=0, instance=f"t-topo-{uuid.uuid4().hex[:6]}"), data_planes=[]) as cloud:
        paths = topology.probe(engine, (cloud.config.network, cloud.config.port))

    assert paths.cloud, paths.reasons
    ok, detail, _ = verdict(paths)
    assert ok and "container → localcloud.localhost ✔" in detail
    assert left_behind(engine, paths.run) == []


@pytest.mark.docker
def test_a_cloud_whose_network_is_gone_fails_with_the_restart_fix(engine):
    paths = topology.probe(engine, (f"workshop-probe-missing-{uuid.uuid4().hex[:8]}", 4566))

    ok, detail, fix = verdict(paths)
    assert paths.published and paths.by_name and paths.cloud is False
    assert not ok and "container → localcloud.localhost ✘" in detail and "does not exist" in detail
    assert fix == CLOUD_FIX
    assert left_behind(engine, paths.run) == []


@pytest.mark.docker
def test_an_interrupted_probes_leftovers_go_and_a_running_probes_stay(engine):
    old, young = f"1-{uuid.uuid4().hex[:8]}", f"{int(time.time())}-{uuid.uuid4().hex[:8]}"
    for run in (old, young):
        engine.networks.create(f"workshop-probe-{run}", labels={PROBE_LABEL: run})
        engine.containers.create(PYTHON_BASE_IMAGE, ["true"], name=f"workshop-probe-{run}-server",
                                 labels={PROBE_LABEL: run})
    try:
        topology.remove_leftovers(engine)

        assert left_behind(engine, old) == []
        assert len(left_behind(engine, young)) == 2
    finally:
        topology.remove_leftovers(engine, older_than=-60)  # everything, however young
    assert left_behind(engine, young) == []


# ---------------------------------------------------------------- the verdict, from made-up measurements


def test_all_needed_paths_working_without_container_addresses_passes_and_names_the_desktop_topology():
    ok, detail, fix = verdict(Paths(published=True, by_name=True, container_ip=False))

    assert ok and fix == ""
    assert detail.startswith(f"host ↔ containers: {DESKTOP_LIKE}")
    assert "container → container by name ✔" in detail
    assert "local cloud not tried" in detail


def test_reaching_container_addresses_names_the_native_linux_topology():
    ok, detail, _ = verdict(Paths(published=True, by_name=True, container_ip=True))

    assert ok and "host also reaches container addresses (native Linux engine)" in detail


def test_a_published_port_the_host_cannot_reach_fails_with_a_fix():
    ok, detail, fix = verdict(Paths(published=False, by_name=True, container_ip=False,
                                    reasons=["nothing answered at 127.0.0.1:32768"]))

    assert not ok
    assert "host → port published on 127.0.0.1 ✘" in detail and "127.0.0.1:32768" in detail
    assert "published ports" in fix and "restart the Docker engine" in fix


def test_containers_that_cannot_reach_each_other_by_name_fail_with_a_fix():
    ok, detail, fix = verdict(Paths(published=True, by_name=False, container_ip=True))

    assert not ok and "container → container by name ✘" in detail
    assert "by name" in fix and "restart the Docker engine" in fix


def test_a_running_cloud_that_containers_cannot_reach_fails_with_the_restart_fix():
    paths = Paths(published=True, by_name=True, container_ip=False, cloud=False,
                  cloud_url="http://localcloud.localhost:4566/_localcloud/status")

    ok, detail, fix = verdict(paths)

    assert not ok and "container → localcloud.localhost ✘" in detail
    assert fix == "run `localcloud down` then `localcloud up --detach`"


def test_a_probe_that_could_not_run_fails_with_what_stopped_it():
    ok, detail, fix = verdict(Paths(problem="APIError: no space left on device"))

    assert not ok and "no space left on device" in detail and fix


def test_the_doctor_row_without_the_probes_image_gives_the_base_image_fix(monkeypatch):
    class Reachable(doctor.Engine):
        def client(self):
            return object()

    monkeypatch.setattr(doctor, "check_base_image", lambda engine, image: (False, "not present", "build it"))

    ok, detail, fix = doctor.check_topology(Reachable())

    assert not ok and PYTHON_BASE_IMAGE in detail and "not present" in detail
    assert fix == "build it"


def test_only_addresses_routed_to_a_local_network_are_tried(tmp_path):
    table = tmp_path / "route"
    table.write_text("Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n"
                     "eth0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"  # default via 192.168.1.1
                     "docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n")  # 172.17.0.0/16
    assert topology.on_a_local_network("172.17.0.2", str(table))
    assert not topology.on_a_local_network("172.18.0.2", str(table))  # only the default route: never tried
    assert not topology.on_a_local_network("172.17.0.2", str(tmp_path / "missing"))

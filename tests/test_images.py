"""build_image: the build stream's steps and cache facts, and failures that name their step."""
import os

import docker
import pytest

from tests.engine_fixtures import engine_with_base_image
from workshop.images import (BuildDisplay, BuildFailed, BuildState, build_image, describe_layer, explain,
                             history_table, prune_replaced_images, remove_image)
from workshop.settings import PYTHON_BASE_IMAGE, WORKSHOP_LABEL

TAG = f"workshop-test/images:{os.getpid()}"


def stream(*texts):
    return [{"stream": text} for text in texts]


def feed_all(state, chunks):
    events = []
    for chunk in chunks:
        events += state.feed(chunk)
    return events + state.finish()


def test_steps_and_cache_hits_are_counted_and_the_label_step_is_not_the_learners():
    state = BuildState(labelled=True)
    events = feed_all(state, stream(
        "Step 1/4 : FROM python:3.13-slim\n", " ---> 858cc90d6f99\n",
        "Step 2/4 : COPY requirements.txt .\n", " ---> Using cache\n", " ---> 9f3066c56672\n",
        "Step 3/4 : RUN pip install -r requirements.txt\n", " ---> Running in 1a2b\n", "Installing\n",
        f"Step 4/4 : LABEL {WORKSHOP_LABEL}=true\n", " ---> Running in 3c4d\n",
        "Successfully built fe492004d322\n", "Successfully tagged x:y\n"))
    assert state.total == 3
    assert [step.number for step in state.steps] == [1, 2, 3]
    assert state.cached_steps == 1
    assert state.image_id == "fe492004d322"
    assert [value.number for kind, value in events if kind == "step"] == [1, 2, 3]
    assert not any("LABEL" in str(value) for kind, value in events if kind == "line")


def test_output_split_across_chunks_is_joined_into_lines_without_colour_codes():
    state = BuildState()
    feed_all(state, stream("Step 1/2 : RUN ls /nope\n", "\x1b[91mls: \x1b[0m", "\x1b[91mcannot access\x1b[0m\n"))
    assert state.step_lines == ["ls: cannot access"]


def test_a_failure_names_the_step_and_shows_its_last_lines():
    state = BuildState()
    feed_all(state, stream("Step 1/3 : FROM python:3.13-slim\n", "Step 2/3 : RUN make it\n", "make: no rule\n"))
    state.feed({"errorDetail": {"message": "The command '/bin/sh -c make it' returned a non-zero code: 2"},
                "error": "The command '/bin/sh -c make it' returned a non-zero code: 2"})
    failure = state.failure("x:y")
    assert (failure.step, failure.total, failure.instruction) == (2, 3, "RUN make it")
    assert "failed at step 2/3 (RUN make it)" in str(failure)
    assert "make: no rule" in str(failure)
    assert "exited with code 2" in str(failure)


def test_pip_without_the_package_explains_the_offline_wheelhouse():
    hint = explain("returned a non-zero code: 1", "ERROR: No matching distribution found for requests", "RUN pip")
    assert "offline wheelhouse" in hint and "fastapi==" in hint


def test_history_commands_read_as_dockerfile_lines():
    assert describe_layer("/bin/sh -c #(nop)  CMD [\"python3\"]") == 'CMD ["python3"]'
    assert describe_layer("/bin/sh -c pip install x") == "RUN pip install x"
    assert describe_layer("") == "(imported file system)"


def test_build_failed_shows_as_one_message_in_jupyter():
    rendered = BuildFailed("building x failed at step 2/3 (RUN y):\n    boom")._render_traceback_()
    assert len(rendered) == 1 and "step 2/3" in rendered[0]


def test_a_folder_without_dockerfile_is_a_clear_failure(tmp_path):
    with pytest.raises(BuildFailed, match="there is no Dockerfile"):
        build_image(tmp_path, TAG, display=BuildDisplay())


# --- with a real engine ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def client():
    client = engine_with_base_image()
    yield client
    remove_image(TAG, client=client)


def write(folder, dockerfile, **files):
    (folder / "Dockerfile").write_text(dockerfile)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


@pytest.mark.docker
def test_build_returns_the_labelled_image_with_its_steps(client, tmp_path):
    write(tmp_path, f"FROM {PYTHON_BASE_IMAGE}\nCOPY app.py /app/\nCMD [\"python\", \"/app/app.py\"]\n",
          **{"app.py": "print('hi')\n"})
    result = build_image(tmp_path, TAG, display=BuildDisplay(), client=client)
    assert result.steps == 3
    assert result.image.labels[WORKSHOP_LABEL] == "true"
    assert TAG in result.image.tags
    assert result.seconds > 0
    assert "layers" in repr(history_table(result.image, client=client))


@pytest.mark.docker
def test_a_code_only_change_reuses_the_cache_for_the_steps_before_it(client, tmp_path):
    write(tmp_path, f"FROM {PYTHON_BASE_IMAGE}\nRUN echo dependencies > /deps\nCOPY app.py /app/\n",
          **{"app.py": "print(1)\n"})
    build_image(tmp_path, TAG, display=BuildDisplay(), client=client)
    unchanged = build_image(tmp_path, TAG, display=BuildDisplay(), client=client)
    assert unchanged.cached_steps == 2
    (tmp_path / "app.py").write_text(f"print({os.getpid()})\n")
    changed = build_image(tmp_path, TAG, display=BuildDisplay(), client=client)
    assert [step.cached for step in changed.step_timings] == [False, True, False]
    cold = build_image(tmp_path, TAG, nocache=True, display=BuildDisplay(), client=client)
    assert cold.cached_steps == 0


@pytest.mark.docker
def test_a_failing_run_step_raises_build_failed_naming_the_step(client, tmp_path):
    write(tmp_path, f"FROM {PYTHON_BASE_IMAGE}\nRUN echo preparing && ls /no-such-dir\nCMD [\"true\"]\n")
    with pytest.raises(BuildFailed) as failed:
        build_image(tmp_path, TAG + "-broken", display=BuildDisplay(), client=client)
    assert failed.value.step == 2 and failed.value.total == 3
    assert "failed at step 2/3 (RUN echo preparing && ls /no-such-dir)" in str(failed.value)
    assert "No such file or directory" in str(failed.value)


@pytest.mark.docker
def test_an_unknown_package_explains_the_offline_wheelhouse(client, tmp_path):
    write(tmp_path, f"FROM {PYTHON_BASE_IMAGE}\nRUN pip install no-such-package-for-the-workshop==1.0\n")
    with pytest.raises(BuildFailed, match="offline wheelhouse") as failed:
        build_image(tmp_path, TAG + "-offline", display=BuildDisplay(), client=client)
    assert failed.value.step == 2


@pytest.mark.docker
def test_a_misspelt_instruction_fails_before_the_first_step(client, tmp_path):
    write(tmp_path, f"FROM {PYTHON_BASE_IMAGE}\nRUNN true\n")
    with pytest.raises(BuildFailed, match="unknown instruction") as failed:
        build_image(tmp_path, TAG + "-typo", display=BuildDisplay(), client=client)
    assert failed.value.step is None


@pytest.mark.docker
def test_an_image_replaced_by_a_newer_build_is_pruned_and_the_tagged_one_kept(client, tmp_path):
    write(tmp_path, f"FROM {PYTHON_BASE_IMAGE}\nCOPY app.py /app/\n", **{"app.py": "print('old')\n"})
    old = build_image(tmp_path, TAG, display=BuildDisplay(), client=client).image
    (tmp_path / "app.py").write_text(f"print('new {os.getpid()}')\n")
    new = build_image(tmp_path, TAG, display=BuildDisplay(), client=client).image
    assert prune_replaced_images(client=client) >= 1
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get(old.id)
    assert client.images.get(TAG).id == new.id

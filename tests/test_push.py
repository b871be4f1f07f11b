"""PushState follows the engine's push stream: layers, the digest the registry reported, and its refusals."""
from workshop.push import PushState


def test_layers_are_followed_until_pushed_or_found_in_the_registry():
    state = PushState()
    for event in ({"status": "The push refers to repository [127.0.0.1:4510/shop/catalog]"},
                  {"status": "Preparing", "id": "aaa"}, {"status": "Preparing", "id": "bbb"},
                  {"status": "Pushing", "id": "aaa", "progressDetail": {"current": 512, "total": 2048}},
                  {"status": "Layer already exists", "id": "bbb"},
                  {"status": "Pushed", "id": "aaa"},
                  {"status": "1.0: digest: sha256:abc size: 1234"},
                  {"aux": {"Tag": "1.0", "Digest": "sha256:abc", "Size": 1234}}):
        state.feed(event)
    assert [(layer.id, layer.status, layer.sent, layer.total) for layer in state.layers.values()] == [
        ("aaa", "Pushed", 2048, 2048), ("bbb", "Layer already exists", 0, 0)]
    assert [layer.reused for layer in state.layers.values()] == [False, True]
    assert (state.digest, state.size, state.error) == ("sha256:abc", 1234, None)


def test_a_refused_push_keeps_the_registry_reason():
    state = PushState()
    state.feed({"errorDetail": {"message": "tag invalid: The image tag '1.0' already exists"}, "error": "tag invalid"})
    assert state.error == "tag invalid: The image tag '1.0' already exists"
    assert state.digest is None

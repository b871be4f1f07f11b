"""The live architecture picture draws whatever state it is given, and says so when nothing runs."""
import matplotlib

from workshop.live_architecture import LiveState, draw

matplotlib.use("Agg")


def texts(figure) -> str:
    return "\n".join(text.get_text() for text in figure.axes[0].texts)


def test_an_empty_account_says_that_nothing_runs_yet():
    assert "nothing of the workshop runs yet" in texts(draw(LiveState(prefix="shop")))


def test_services_rules_functions_and_messaging_are_drawn():
    state = LiveState(prefix="shop", apis={"shop-api": ["ANY /orders/{proxy+}"]},
                      rules=[("/orders*", "orders")], services={"orders": "1/1 tasks"},
                      functions=["shop-notifier"], topics=["shop-order-events"],
                      queues={"shop-confirmations": ["shop-notifier"]})
    shown = texts(draw(state))
    for expected in ("API Gateway shop-api", "/orders* → orders", "ECS orders\n1/1 tasks", "λ notifier",
                     "SNS order-events", "SQS confirmations", "event source mapping"):
        assert expected in shown

"""Module 08's limit on the notifier on an account that cannot reserve concurrency: Lambda keeps 10 unreserved, so
the limit goes to the queue's mapping and the API's route instead (fakes that record the calls)."""
from workshop.confirmations import (CONFIRMATION_ROUTE, can_reserve, limit_queue_consumers,
                                    throttle_confirmation_route)


class Lambda:
    def __init__(self, unreserved: int):
        self.unreserved, self.updates = unreserved, []

    def get_account_settings(self):
        return {"AccountLimit": {"ConcurrentExecutions": self.unreserved,
                                 "UnreservedConcurrentExecutions": self.unreserved}}

    def update_event_source_mapping(self, **update):
        self.updates.append(update)


class Apis:
    def __init__(self):
        self.updates = []

    def update_stage(self, **update):
        self.updates.append(update)


def test_a_new_accounts_ten_leave_no_room_to_reserve():
    assert not can_reserve(Lambda(unreserved=10), 2)
    assert not can_reserve(Lambda(unreserved=11), 2)
    assert can_reserve(Lambda(unreserved=12), 2)
    assert can_reserve(Lambda(unreserved=1000), 2)


def test_the_mapping_takes_the_limit_and_never_below_awss_minimum_of_two():
    client = Lambda(unreserved=10)
    assert limit_queue_consumers(client, "uuid-1", 1) == 2
    assert limit_queue_consumers(client, "uuid-1", 3) == 3
    assert client.updates == [{"UUID": "uuid-1", "ScalingConfig": {"MaximumConcurrency": 2}},
                              {"UUID": "uuid-1", "ScalingConfig": {"MaximumConcurrency": 3}}]


def test_the_synchronous_route_lets_in_what_the_notifier_can_send():
    apis = Apis()
    throttle_confirmation_route(apis, "api-1", concurrency=2, send_seconds=0.4)
    assert apis.updates == [{"ApiId": "api-1", "StageName": "$default", "RouteSettings": {
        CONFIRMATION_ROUTE: {"ThrottlingBurstLimit": 2, "ThrottlingRateLimit": 5.0}}}]

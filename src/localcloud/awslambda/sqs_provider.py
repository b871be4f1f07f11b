"""The SQS operations the Lambda plane hooks: a message sent to a queue wakes its event source poller at once.

Messages that reach a queue otherwise (an SNS subscription, moto's backend used directly) are found at the next poll.
"""
from moto.sqs.responses import SQSResponse

from localcloud.providers import Answer, Call, Provider


class SqsProvider(Provider):
    app = "sqs"
    response_class = SQSResponse

    def handlers(self):
        return {"SendMessage": self.send_message, "SendMessageBatch": self.send_message}

    def send_message(self, call: Call) -> Answer:
        answer = call.moto()
        self._plane.wake_event_sources()
        return answer

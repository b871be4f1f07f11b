"""The state module 06 ends in, built in one call: `ensure_functions(session, stack)` for modules 07 and 08.

Two Lambda functions and the messaging between orders and the notifier:

    orders ─OrderPlaced─▶ SNS topic ─▶ SQS queue ─event source mapping─▶ notifier (image function)
    recommendations (zip function) ─HTTP─▶ catalog (its Cloud Map name, from inside the services' VPC)

The calls are module 06's (read it for the why); each step finds what exists and creates only what is missing,
so a second call changes nothing. `remove_functions(session)` deletes what module 06 creates (not the services).
"""
import io
import json
import time
import zipfile
from dataclasses import dataclass

from botocore.exceptions import ClientError

from workshop.deploy import build_and_push, ensure_repository, image_cpu
from workshop.paths import SAMPLE_SERVICES
from workshop.stack import Stack, container_definition, ensure_role, register_task_definition

FUNCTIONS_DIR = SAMPLE_SERVICES / "functions"
BASIC_EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
# Recommendations runs in the services' VPC to reach catalog's private name; this policy lets Lambda attach to it.
VPC_ACCESS_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
LAMBDA_TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                         "Principal": {"Service": "lambda.amazonaws.com"}}]}
RUNTIME = "python3.13"
FUNCTION_TIMEOUT = 10          # seconds; the queue's visibility timeout must be at least this
# AWS advises a visibility timeout of at least six times the function's timeout for a queue that feeds Lambda.
QUEUE_VISIBILITY = FUNCTION_TIMEOUT * 6
NOTIFIER_TAG = "1.0"
BATCH_SIZE = 10
TOPIC_VARIABLE = "ORDER_EVENTS_TOPIC_ARN"
WAIT = {"Delay": 1, "MaxAttempts": 600}  # Fargate deployments take minutes on AWS
# What AWS answers while a new role, or a policy just given to it, has not reached Lambda yet (IAM is eventually
# consistent: https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html).
ROLE_NOT_READY = ("cannot be assumed by Lambda", "execution role does not have permissions")
ROLE_WAIT_SECONDS = 60


@dataclass(frozen=True)
class Functions:
    """What module 06 leaves running, for modules 07 and 08.

    role_arn               the functions' execution role (`<prefix>-lambda`: trusts Lambda, basic execution policy)
    recommendations_name   `<prefix>-recommendations`: zip function, handler `app.handler`, behind API Gateway in 07
                           (answers payload 2.0 events for GET /recommendations/{book_id}); CATALOG_URL is
                           catalog's Cloud Map URL, and the function runs in the services' VPC (tasks' group)
    recommendations_arn    its FunctionArn (an API Gateway AWS_PROXY integration's IntegrationUri)
    notifier_name          `<prefix>-notifier`: container-image function fed by the queue (and, in 08, by HTTP)
    notifier_arn           its FunctionArn
    notifier_image_uri     the image it runs: `<repositoryUri of <prefix>/notifier>:1.0`
    topic_arn              SNS topic `<prefix>-order-events`; orders publishes OrderPlaced to it
    queue_url              SQS queue `<prefix>-order-events`, subscribed to the topic (SNS envelope, not raw)
    queue_arn              the queue's ARN (the event source mapping's EventSourceArn)
    mapping_uuid           the event source mapping queue → notifier (Enabled, BatchSize 10)
    orders_task_definition the orders revision running with ORDER_EVENTS_TOPIC_ARN = topic_arn
    """
    role_arn: str
    recommendations_name: str
    recommendations_arn: str
    notifier_name: str
    notifier_arn: str
    notifier_image_uri: str
    topic_arn: str
    queue_url: str
    queue_arn: str
    mapping_uuid: str
    orders_task_definition: str


def recommendations_zip() -> bytes:
    """The deployment package: the handler's one file at the root of a zip."""
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(FUNCTIONS_DIR / "recommendations" / "app.py", "app.py")
    return package.getvalue()


def queue_reader_policy(queue_arn: str) -> dict:
    """What an SQS event source mapping needs of its function's role, on that queue only."""
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": queue_arn, "Action": [
        "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]}]}


def ensure_lambda_role(iam, session) -> str:
    name = session.name("lambda")
    arn = ensure_role(iam, session, "lambda", "what the workshop's Lambda functions run as", trust=LAMBDA_TRUST)
    for policy in (BASIC_EXECUTION_POLICY, VPC_ACCESS_POLICY):
        iam.attach_role_policy(RoleName=name, PolicyArn=policy)
    queue_arn = f"arn:aws:sqs:{session.region}:{session.account}:{session.name('order-events')}"
    iam.put_role_policy(RoleName=name, PolicyName="read-order-events",
                        PolicyDocument=json.dumps(queue_reader_policy(queue_arn)))
    return arn


def existing_function(lambda_client, name: str) -> dict | None:
    try:
        return lambda_client.get_function(FunctionName=name)["Configuration"]
    except lambda_client.exceptions.ResourceNotFoundException:
        return None


def ensure_function(lambda_client, name: str, **settings) -> str:
    """Create the function unless it exists; wait until it is Active; returns its ARN."""
    found = existing_function(lambda_client, name)
    arn = found["FunctionArn"] if found else create_function_when_role_ready(lambda_client, FunctionName=name,
                                                                              **settings)["FunctionArn"]
    lambda_client.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig=WAIT)
    return arn


def when_role_ready(call, *, what: str, deadline_seconds: float = ROLE_WAIT_SECONDS, sleep=time.sleep,
                    clock=time.monotonic):
    """`call()`, again with growing pauses while AWS says the role (or a policy just given to it) has not reached
    Lambda yet, for at most `deadline_seconds`; any other error, or the same one after the deadline, is raised."""
    started, pause = clock(), 1.0
    while True:
        try:
            return call()
        except ClientError as error:
            message = error.response["Error"].get("Message", "")
            waited = clock() - started
            if not any(text in message for text in ROLE_NOT_READY) or waited + pause > deadline_seconds:
                raise
            print(f"… {what}: the role is not usable by Lambda yet (IAM takes a few seconds to spread), "
                  f"trying again in {pause:g} s ({waited:.0f} s so far)")
            sleep(pause)
            pause = min(pause * 2, 8.0)


def create_function_when_role_ready(lambda_client, **settings) -> dict:
    """`create_function`, retried while a role created moments ago is not usable by Lambda yet."""
    return when_role_ready(lambda: lambda_client.create_function(**settings),
                           what=f"creating {settings.get('FunctionName', 'the function')}")


def ensure_topic_and_queue(sns, sqs, session) -> tuple[str, str, str]:
    """The topic, the queue SNS may write to, and the subscription; returns (topic ARN, queue URL, queue ARN)."""
    name = session.name("order-events")
    topic_arn = sns.create_topic(Name=name, Tags=session.tags)["TopicArn"]  # create_topic is idempotent
    # Module 06 may have made the queue with a visibility timeout of the learner's choosing, and create_queue with
    # other attributes than an existing queue's fails (QueueAlreadyExists): find it first.
    try:
        queue_url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except sqs.exceptions.QueueDoesNotExist:
        queue_url = sqs.create_queue(QueueName=name, tags=session.tag_map,
                                     Attributes={"VisibilityTimeout": str(QUEUE_VISIBILITY)})["QueueUrl"]
    visibility = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["VisibilityTimeout"])["Attributes"]
    if int(visibility["VisibilityTimeout"]) < QUEUE_VISIBILITY:  # exercise 06.1 skipped, or answered too short
        sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"VisibilityTimeout": str(QUEUE_VISIBILITY)})
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps(queue_policy(queue_arn, topic_arn))})
    subscribed = any(s["Endpoint"] == queue_arn
                     for s in sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"])
    if not subscribed:
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return topic_arn, queue_url, queue_arn


def queue_policy(queue_arn: str, topic_arn: str) -> dict:
    """Only this topic may send to the queue."""
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": queue_arn, "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}}}]}


def ensure_mapping(lambda_client, session, queue_arn: str, function_name: str) -> str:
    mappings = lambda_client.list_event_source_mappings(EventSourceArn=queue_arn,
                                                        FunctionName=function_name)["EventSourceMappings"]
    if mappings:
        return mappings[0]["UUID"]
    # AWS checks the function's role may read the queue; a policy given moments ago may not have spread yet.
    return when_role_ready(lambda: lambda_client.create_event_source_mapping(
        EventSourceArn=queue_arn, FunctionName=function_name, BatchSize=BATCH_SIZE, Enabled=True,
        Tags=session.tag_map), what="creating the event source mapping")["UUID"]


def orders_environment(ecs, task_definition: str) -> dict[str, str]:
    definition = ecs.describe_task_definition(taskDefinition=task_definition)["taskDefinition"]
    container = definition["containerDefinitions"][0]
    return {pair["name"]: pair["value"] for pair in container.get("environment", [])}


def publish_orders_to(ecs, elbv2, iam, session, stack: Stack, topic_arn: str) -> str:
    """Run orders with ORDER_EVENTS_TOPIC_ARN set (a new task definition revision, rolled out), unless it already
    does; the task role may publish to the topic. Returns the running task definition."""
    iam.put_role_policy(RoleName=session.name("task"), PolicyName="publish-order-events", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sns:Publish", "Resource": topic_arn}]}))
    service = ecs.describe_services(cluster=stack.cluster, services=["orders"])["services"][0]
    current = service["taskDefinition"]
    environment = orders_environment(ecs, current)
    if environment.get(TOPIC_VARIABLE) == topic_arn:
        return current
    image = ecs.describe_task_definition(taskDefinition=current)["taskDefinition"]["containerDefinitions"][0]["image"]
    variables = {key: value for key, value in environment.items() if key != "APP_VERSION"}
    container = container_definition(session, "orders", image, stack.log_group,
                                     version=environment.get("APP_VERSION", "1.0"),
                                     environment={**variables, TOPIC_VARIABLE: topic_arn})
    revision = register_task_definition(ecs, session, (stack.execution_role, stack.task_role), container)
    ecs.update_service(cluster=stack.cluster, service="orders", taskDefinition=revision)
    ecs.get_waiter("services_stable").wait(cluster=stack.cluster, services=["orders"], WaiterConfig=WAIT)
    # Stable means the tasks run; the load balancer sends them orders only once their health checks pass.
    elbv2.get_waiter("target_in_service").wait(TargetGroupArn=stack.target_groups["orders"], WaiterConfig=WAIT)
    return revision


def ensure_functions(session, stack: Stack) -> Functions:
    """Module 06's end state on top of module 05's `stack`; a second call changes nothing."""
    iam, lambda_client, ecr = session.client("iam"), session.client("lambda"), session.client("ecr")
    sns, sqs, ecs = session.client("sns"), session.client("sqs"), session.client("ecs")
    role_arn = ensure_lambda_role(iam, session)
    recommendations = session.name("recommendations")
    recommendations_arn = ensure_function(
        lambda_client, recommendations, Runtime=RUNTIME, Handler="app.handler", Role=role_arn,
        Code={"ZipFile": recommendations_zip()}, Timeout=FUNCTION_TIMEOUT, MemorySize=128, Tags=session.tag_map,
        Environment={"Variables": {"CATALOG_URL": stack.catalog_url}},
        VpcConfig={"SubnetIds": stack.network.subnet_ids, "SecurityGroupIds": [stack.network.tasks_security_group]})
    build_and_push(session, "notifier", NOTIFIER_TAG, path=FUNCTIONS_DIR / "notifier", quiet=True)
    image_uri = f"{ensure_repository(ecr, session, 'notifier')['repositoryUri']}:{NOTIFIER_TAG}"
    notifier = session.name("notifier")
    # Lambda must run the image on the CPU it was built for (its default, x86_64, fails an arm64 image).
    notifier_arn = ensure_function(lambda_client, notifier, PackageType="Image", Code={"ImageUri": image_uri},
                                   Architectures=[image_cpu(image_uri).aws_lambda], Role=role_arn,
                                   Timeout=FUNCTION_TIMEOUT, MemorySize=128, Tags=session.tag_map)
    topic_arn, queue_url, queue_arn = ensure_topic_and_queue(sns, sqs, session)
    mapping = ensure_mapping(lambda_client, session, queue_arn, notifier)
    orders_definition = publish_orders_to(ecs, session.client("elbv2"), iam, session, stack, topic_arn)
    return Functions(role_arn=role_arn, recommendations_name=recommendations, recommendations_arn=recommendations_arn,
                     notifier_name=notifier, notifier_arn=notifier_arn, notifier_image_uri=image_uri,
                     topic_arn=topic_arn, queue_url=queue_url, queue_arn=queue_arn, mapping_uuid=mapping,
                     orders_task_definition=orders_definition)


def remove_functions(session) -> list[str]:
    """Delete the mapping, both functions and their log groups, the subscription, topic and queue (what module 06
    creates); returns what was deleted (log groups unnamed). Orders keeps its task definition: publishing to a
    missing topic only logs a warning there."""
    lambda_client, sns, sqs = session.client("lambda"), session.client("sns"), session.client("sqs")
    logs = session.client("logs")
    removed = []
    for name in (session.name("notifier"), session.name("recommendations")):
        for mapping in lambda_client.list_event_source_mappings(FunctionName=name)["EventSourceMappings"]:
            lambda_client.delete_event_source_mapping(UUID=mapping["UUID"])
            removed.append(f"event source mapping {mapping['UUID']}")
        if existing_function(lambda_client, name):
            lambda_client.delete_function(FunctionName=name)
            removed.append(f"function {name}")
        try:  # a function's log group outlives it; old lines would confuse the next run
            logs.delete_log_group(logGroupName=f"/aws/lambda/{name}")
        except logs.exceptions.ResourceNotFoundException:
            pass
    name = session.name("order-events")
    topic = next((t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(f":{name}")), None)
    if topic:
        for subscription in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]:
            if subscription["SubscriptionArn"].startswith("arn:"):
                sns.unsubscribe(SubscriptionArn=subscription["SubscriptionArn"])
        sns.delete_topic(TopicArn=topic)
        removed.append(f"topic {name}")
    try:
        sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"])
        removed.append(f"queue {name}")
    except sqs.exceptions.QueueDoesNotExist:
        pass
    return removed


REPORT_FIELDS = {"Duration": "duration_ms", "Billed Duration": "billed_ms", "Init Duration": "init_ms",
                 "Max Memory Used": "memory_mb"}


def report_figures(log_text: str) -> dict[str, float]:
    """The figures of the REPORT line Lambda writes after each invoke; `init_ms` only after a cold start, `memory_mb`
    only where the engine measures containers' memory (a rootless engine without cgroups writes `-`)."""
    report = next((line for line in log_text.splitlines() if line.startswith("REPORT ")), "")
    figures = {}
    for part in report.split("\t"):
        label, _, value = part.partition(": ")
        number = value.split()[0] if value else ""
        if label.strip() in REPORT_FIELDS and number.replace(".", "", 1).isdigit():
            figures[REPORT_FIELDS[label.strip()]] = float(number)
    return figures

"""The ECS operations the tasks' data plane owns: tasks it launches and stops, services it schedules, and the checks
and answers moto gets wrong for them. Each change wakes the data plane's loop at once.

The service scheduler launches through `tasks.start_tasks` as RunTask does (see `EcsPlane`).
"""
from moto.core.responses import ActionResult
from moto.core.utils import camelcase_to_underscores
from moto.ecs.responses import EC2ContainerServiceResponse

from localcloud.ecs import backend_fixes, services, task_definitions, tasks, validation
from localcloud.providers import Call, Provider


class EcsProvider(Provider):
    app = "ecs"
    response_class = EC2ContainerServiceResponse

    def handlers(self):
        return {"RunTask": self.run_task, "StartTask": self.start_task, "StopTask": self.stop_task,
                "ListTasks": self.list_tasks, "RegisterTaskDefinition": self.register_task_definition,
                "ListTaskDefinitionFamilies": self.list_task_definition_families,
                "CreateService": self.create_service, "UpdateService": self.update_service,
                "DeleteService": self.delete_service}

    def _backend(self):
        return self._plane.backend()

    # --- tasks -------------------------------------------------------------------------------------------------------
    def run_task(self, call: Call):
        # moto starts a task RUNNING with one container and 500s on awsvpc without security groups, a Fargate task
        # definition with memory at task level only, and EC2 launches without container instances.
        params = call.params
        started = tasks.start_tasks(
            self._backend(), params.get("cluster", "default"), params.get("taskDefinition"),
            int(params.get("count", 1)), params.get("overrides"), params.get("startedBy"), params.get("tags"),
            params.get("launchType"), params.get("networkConfiguration"), params.get("group"),
            params.get("platformVersion"), params.get("capacityProviderStrategy"))
        self._plane.wake()
        return ActionResult({"tasks": started, "failures": []})

    def start_task(self, call: Call):
        # Tasks placed on chosen container instances: launched by the data plane as RunTask's are.
        backend = self._backend()
        backend_fixes.prepare(backend)
        result = call.moto_result()
        for task in result.result["tasks"]:
            tasks.adopt(backend, task)
        self._plane.wake()
        return result

    def stop_task(self, call: Call):
        # moto marks the task STOPPED at once (and 500s on an unknown one); on AWS its containers stop first.
        task = tasks.find_task(self._backend(), call.params.get("cluster", "default"), call.params["task"])
        tasks.request_user_stop(task, call.params.get("reason"))
        self._plane.wake()
        return ActionResult({"task": task})

    def list_tasks(self, call: Call):
        # moto ignores serviceName and lists STOPPED tasks by default; AWS filters by service and by desiredStatus
        # RUNNING unless told otherwise. https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTasks.html
        backend, params = self._backend(), call.params
        cluster = params.get("cluster", "default")
        service_name = (params.get("serviceName") or "").split("/")[-1]
        if service_name:
            backend._get_service(cluster, service_name)  # ServiceNotFoundException as on AWS
        listed = backend.list_tasks(cluster, params.get("containerInstance"), params.get("family"),
                                    params.get("startedBy"), None, params.get("desiredStatus") or "RUNNING")
        if service_name:
            listed = [task for task in listed if task.group == f"service:{service_name}"]
        return {"taskArns": [task.task_arn for task in listed]}

    # --- task definitions ------------------------------------------------------------------------------------------
    def register_task_definition(self, call: Call):
        validation.check_task_definition(call.params)  # Fargate sizes and awslogs options, as AWS checks them
        task_definitions.check_awsvpc_port_mappings(call.params.get("networkMode"),
                                                    call.params.get("containerDefinitions"))
        return call.moto_result()

    def list_task_definition_families(self, call: Call):
        return {"families": task_definitions.families(self._backend(), call.params.get("familyPrefix"),
                                                      call.params.get("status", "ACTIVE"))}

    # --- services ----------------------------------------------------------------------------------------------------
    def create_service(self, call: Call):
        # moto drops deploymentConfiguration and healthCheckGracePeriodSeconds, KeyErrors on awsvpc without security
        # groups and accepts a load balancer on a port the task definition does not map.
        service = services.create_service(self._backend(), call.params)
        self._plane.wake()
        return ActionResult({"service": service})

    def update_service(self, call: Call):
        properties = {camelcase_to_underscores(key): value for key, value in call.params.items()}
        service = services.update_service(self._backend(), properties)
        self._plane.wake()
        return ActionResult({"service": service})

    def delete_service(self, call: Call):
        # moto makes the service INACTIVE at once; on AWS it is DRAINING until its tasks have stopped.
        result = call.moto_result()
        result.result["service"].status = "DRAINING"
        self._plane.wake()
        return result

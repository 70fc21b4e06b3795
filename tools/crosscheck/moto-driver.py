#!/usr/bin/env python3
"""Run MockConfigFile test cases in moto's Step Functions interpreter, strictly, in one process.

moto (5.1 and later) ships `moto/stepfunctions/parser/`, a port of LocalStack's ASL interpreter: an interpreter
written independently of the project's engine. This driver runs it in-process under `moto.mock_aws` (with
`stepfunctions.execute_state_machine` on) for every case of a request, and prints one JSON line per case.

usage:
    python3 moto-driver.py < REQUEST.json     run the cases of the request
    python3 moto-driver.py --probe            print {"python", "moto"} and exit 0; exit 3, saying what is missing, when moto
                                              or its Step Functions interpreter's dependencies are not installed

The request (one JSON object on standard input):
    {"node": "/path/to/node", "bridge": "/path/to/jsonata-bridge.cjs", "account": "000000000000",
     "region": "us-east-1", "timeoutSeconds": 30, "mockConfig": {...a MockConfigFile...},
     "machines": [{"name": "...", "definition": "<ASL text>"}],
     "cases": [{"id": "...", "machine": "...", "testCase": "...", "executionName": "...", "input": "<JSON text>"}]}

Each case prints {"id", "status", "error", "cause", "output", "statesEntered", "events", "attempts",
"retryWaits", "unmockedTasks", "stoppedBranchTasks"}; a last line {"summary": {...}}. Exit code 0 when every case
ran (whatever its outcome), 2 on a setup error (one line {"setupError": "..."}).

No compatibility shim: moto judges the definitions as it would on its own (it refuses a lone `$` in JSONata and a
Fail state raising a `States.*` error name). The patches below only connect what moto 5.2.1 leaves unconnected,
nothing in site-packages is edited:
  1. JSONata: `asl/jsonata/jsonata.py` has no evaluator (LocalStack's needs a JVM). A persistent Node.js child,
     jsonata-bridge.cjs, evaluates with the project's own `jsonata` package (2.0.6, as AWS documents).
  2. Variable bindings: `encode_jsonata_variable_declarations` writes a string variable as f'"{value}"', without
     escaping, so a value holding a quote or a backslash (a JSON cause) would corrupt the expression. Strings are
     written with json.dumps instead: the exact value, as AWS binds it.
  3. MockConfigFile: moto's loader is a stub and its backend neither strips the `#TestCase` suffix of the state
     machine ARN nor hands a test case to the execution worker (which supports one). The request's MockConfigFile
     is loaded here and wired through. A mocked Throw fails the Task with the error it names: a `States.*` name
     that the States Language defines (`States.Timeout`, `States.TaskFailed`, ...) is raised as moto raises that
     error itself (a Task timing out), not refused as if a state had made it up.
  4. Guard and speed: a Task state the test case does not mock fails (MotoAsl.UnmockedTask) instead of calling a
     moto backend; Retry waits are recorded and not slept.
  5. One process, many executions: moto deep-copies the state machine, its past executions included, at every
     StartExecution, and a finished execution holds locks that cannot be copied; each case's execution is taken
     off the list once it has ended. Status and history are read from the execution itself rather than through
     moto's response serializer, which can trip on an event of a Parallel branch stopped mid-Task.
  6. Speed: moto parses the definition (ANTLR, in pure Python: about 0.15 s) twice at every StartExecution. The
     syntax tree is parsed once per definition; the evaluation components are still built afresh from it for
     each execution, as moto builds them.
"""
from __future__ import annotations

import collections
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time

UNMOCKED_ERROR = "MotoAsl.UnmockedTask"


class Observations:
    """What the patches see during one case."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.attempts: collections.Counter = collections.Counter()
        self.retry_waits: dict[str, list[float]] = collections.defaultdict(list)
        self.unmocked: list[str] = []
        self.stopped_branch_tasks = 0


OBSERVED = Observations()
_RETRYING = threading.local()


# --------------------------------------------------------------------------------------------------------------------
# 1. JSONata through Node.js
# --------------------------------------------------------------------------------------------------------------------
class NodeJsonata:
    """A persistent `node jsonata-bridge.cjs`: one request per line, one answer per line, in order."""

    def __init__(self, node: str, bridge: str) -> None:
        self._stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [node, bridge],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        self._lock = threading.Lock()
        self._next_id = 0
        self.evaluations = 0
        self.version = self._ask({"version": True}).get("version")

    def _ask(self, request: dict) -> dict:
        with self._lock:
            self._next_id += 1
            request = {**request, "id": self._next_id}
            try:
                self.proc.stdin.write(json.dumps(request) + "\n")
                self.proc.stdin.flush()
                line = self.proc.stdout.readline()
            except BrokenPipeError:
                line = ""
        if not line:
            self._stderr.seek(0)
            raise RuntimeError("the JSONata bridge died: " + self._stderr.read().decode("utf-8", "replace")[-2000:])
        answer = json.loads(line)
        if answer.get("id") != request["id"]:
            raise RuntimeError(f"the JSONata bridge answered request {answer.get('id')} for {request['id']}")
        return answer

    def evaluate(self, expression: str):
        from moto.stepfunctions.parser.asl.jsonata.jsonata import JSONataException

        self.evaluations += 1
        answer = self._ask({"expr": expression})
        if not answer["ok"]:
            raise JSONataException(answer.get("code") or "UNKNOWN", answer.get("message"))
        # As LocalStack's JVM bridge does: JSONata's undefined comes back as None.
        return None if answer["undefined"] else json.loads(answer["json"])

    def close(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except Exception:
            self.proc.kill()


# --------------------------------------------------------------------------------------------------------------------
# 3. MockConfigFile
# --------------------------------------------------------------------------------------------------------------------
def mock_test_case(config: dict, machine: str, test_case: str):
    """The MockTestCase of `machine#test_case`, built from the MockConfigFile's JSON."""
    from moto.stepfunctions.parser.mocking import mock_config as mc

    cases = ((config.get("StateMachines") or {}).get(machine) or {}).get("TestCases") or {}
    if test_case not in cases:
        raise RuntimeError(f"the mock configuration has no test case {test_case} for {machine} (it has: {sorted(cases)})")
    responses = config.get("MockedResponses") or {}
    by_state = []
    for state, response_name in cases[test_case].items():
        if response_name not in responses:
            raise RuntimeError(f"{machine}#{test_case}: state {state} uses mocked response {response_name}, which is not defined")
        mocked = []
        for attempts, body in responses[response_name].items():
            start, end = mc._parse_mocked_response_range(attempts)
            if "Return" in body:
                mocked.append(mc.MockedResponseReturn(range_start=start, range_end=end, payload=body["Return"]))
            else:
                throw = body["Throw"] or {}
                mocked.append(mc.MockedResponseThrow(range_start=start, range_end=end, error=throw.get("Error"), cause=throw.get("Cause")))
        by_state.append(mc.StateMockedResponses(state_name=state, mocked_response_name=response_name, mocked_responses=mocked))
    return mc.MockTestCase(state_machine_name=machine, test_case_name=test_case, state_mocked_responses_list=by_state)


# --------------------------------------------------------------------------------------------------------------------
# Patches
# --------------------------------------------------------------------------------------------------------------------
def install_patches(bridge: NodeJsonata, config: dict) -> None:
    from antlr4 import CommonTokenStream, InputStream
    from moto.stepfunctions.parser.asl.antlr.runtime.ASLLexer import ASLLexer
    from moto.stepfunctions.parser.asl.antlr.runtime.ASLParser import ASLParser
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser, ASLParserException, SyntaxErrorListener
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor
    from moto.stepfunctions.parser import models as parser_models
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent, FailureEventException
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import mock_eval_utils
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import StateTaskService
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_activitiy import StateTaskActivity
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import StateTaskLambda
    from moto.stepfunctions.parser.asl.eval import states as states_mod
    from moto.stepfunctions.parser.asl.eval import variable_store as variable_store_mod
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
    from moto.stepfunctions.parser.asl.jsonata import jsonata as jsonata_mod
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str
    from moto.stepfunctions.parser.backend import execution as execution_mod
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    # 6. One syntax tree per definition; fresh evaluation components per call, as moto's parse() returns them.
    trees: dict[str, object] = {}

    def parse(definition: str):
        tree = trees.get(definition)
        if tree is None:
            errors = SyntaxErrorListener()
            parser = ASLParser(CommonTokenStream(ASLLexer(InputStream(definition))))
            parser.removeErrorListeners()
            parser.addErrorListener(errors)
            tree = parser.state_machine()
            if errors.errors:
                raise ASLParserException(errors=errors.errors)
            trees[definition] = tree
        return Preprocessor().visit(tree), tree

    AmazonStateLanguageParser.parse = staticmethod(parse)

    # 1. The evaluator eval_jsonata_expression() reads from the module.
    jsonata_mod._eval_jsonata = bridge.evaluate

    # 2. Exact variable bindings.
    def encode_jsonata_variable_declarations(bindings):
        parts = []
        for ref, value in bindings.items():
            literal = json.dumps(value, ensure_ascii=False) if isinstance(value, str) else to_json_str(value, separators=(",", ":"))
            parts.extend([ref, ":=", literal, ";"])
        return "".join(parts)

    for module in (jsonata_mod, states_mod, variable_store_mod):
        module.encode_jsonata_variable_declarations = encode_jsonata_variable_declarations

    # 3. The test case of `<state machine ARN>#<TestCase>`, handed to the execution worker.
    pending = threading.local()
    start_execution = parser_models.StepFunctionsParserBackend.start_execution

    def start_mocked_execution(self, state_machine_arn, name=None, execution_input=None, trace_header=None):
        base_arn, _, test_case = state_machine_arn.partition("#")
        pending.test_case = mock_test_case(config, self.describe_state_machine(base_arn).name, test_case) if test_case else None
        try:
            return start_execution(self, base_arn, name, execution_input, trace_header)
        finally:
            pending.test_case = None

    parser_models.StepFunctionsParserBackend.start_execution = start_mocked_execution
    execution_init = execution_mod.Execution.__init__

    def init_execution(self, *args, **kwargs):
        execution_init(self, *args, **kwargs)
        self._crosscheck_test_case = getattr(pending, "test_case", None)

    execution_mod.Execution.__init__ = init_execution

    def start_execution_worker(self):
        return ExecutionWorker(
            evaluation_details=execution_mod.EvaluationDetails(
                aws_execution_details=self._get_start_aws_execution_details(),
                execution_details=self.get_start_execution_details(),
                state_machine_details=self.get_start_state_machine_details(),
            ),
            exec_comm=self._get_start_execution_worker_comm(),
            cloud_watch_logging_session=self._cloud_watch_logging_session,
            activity_store=self._activity_store,
            mock_test_case=getattr(self, "_crosscheck_test_case", None),
        )

    execution_mod.Execution._get_start_execution_worker = start_execution_worker

    # 3. A mocked Throw raises its error: a States Language error name as moto raises it, any other as a custom one.
    def mocked_throw(env, mocked_response):
        name = mocked_response.error
        try:
            error_name = StatesErrorName.from_name(name)
        except ValueError:
            error_name = CustomErrorName(name)
        raise FailureEventException(
            failure_event=FailureEvent(
                env=env,
                error_name=error_name,
                event_type=HistoryEventType.TaskFailed,
                event_details=EventDetails(taskFailedEventDetails=TaskFailedEventDetails(error=name, cause=mocked_response.cause)),
            )
        )

    mock_eval_utils._eval_mocked_response_throw = mocked_throw

    # 4a. Every Task attempt is served by the test case.
    def guarded(evaluate):
        def _eval_execution(self, env):
            if not env.is_running():
                # A Parallel branch stopped (a sibling failed) while it was entering this Task: the attempt's outcome
                # is discarded, and its state name is no longer known. It calls nothing.
                with OBSERVED.lock:
                    OBSERVED.stopped_branch_tasks += 1
                raise_unmocked(env, "a Task of a stopped Parallel branch")
            state = env.next_state_name
            with OBSERVED.lock:
                OBSERVED.attempts[state] += 1
            if not env.is_mocked_mode():
                with OBSERVED.lock:
                    OBSERVED.unmocked.append(state)
                raise_unmocked(env, f"Task state {state} is not in the test case; no backend is called")
            return evaluate(self, env)

        return _eval_execution

    def raise_unmocked(env, cause):
        raise FailureEventException(
            failure_event=FailureEvent(
                env=env,
                error_name=CustomErrorName(UNMOCKED_ERROR),
                event_type=HistoryEventType.TaskFailed,
                event_details=EventDetails(taskFailedEventDetails=TaskFailedEventDetails(error=UNMOCKED_ERROR, cause=cause)),
            )
        )

    for cls in (StateTaskService, StateTaskLambda, StateTaskActivity):
        cls._eval_execution = guarded(cls._eval_execution)

    # 4b. Retry waits: recorded, not slept.
    class Clock:
        def __getattr__(self, item):
            return getattr(time, item)

        @staticmethod
        def sleep(seconds):
            with OBSERVED.lock:
                OBSERVED.retry_waits[str(getattr(_RETRYING, "state", None))].append(round(float(seconds), 3))

    retrier_decl.time = Clock()
    retrier_body = retrier_decl.RetrierDecl._eval_body

    def retry(self, env):
        _RETRYING.state = env.next_state_name
        return retrier_body(self, env)

    retrier_decl.RetrierDecl._eval_body = retry


# --------------------------------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------------------------------
def event_type(event) -> str:
    kind = event["type"]
    return kind.value if hasattr(kind, "value") else str(kind)


def run_case(sfn, backend, state_machine_arns: dict, case: dict, timeout: float) -> dict:
    OBSERVED.reset()
    arn = state_machine_arns[case["machine"]]
    started = sfn.start_execution(stateMachineArn=f"{arn}#{case['testCase']}", name=case["executionName"], input=case["input"])
    execution = backend.describe_execution(started["executionArn"])
    deadline = time.monotonic() + timeout
    while execution.exec_status.value == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.005)
    status = execution.exec_status.value
    # 5. Off the state machine's list, so the next StartExecution does not deep-copy it.
    machine = backend.describe_state_machine(arn)
    machine.executions[:] = [e for e in machine.executions if e is not execution]
    env = execution.exec_worker.env
    events = sorted(env.event_manager.get_event_history() if env else [], key=lambda e: e["id"])
    with OBSERVED.lock:
        result = {
            "id": case["id"],
            "status": status,
            "error": execution.error,
            "cause": execution.cause,
            "output": execution.output if status == "SUCCEEDED" else None,
            "statesEntered": [e["stateEnteredEventDetails"]["name"] for e in events if event_type(e).endswith("StateEntered")],
            "events": [event_type(e) for e in events],
            "attempts": dict(OBSERVED.attempts),
            "retryWaits": dict(OBSERVED.retry_waits),
            "unmockedTasks": list(OBSERVED.unmocked),
            "stoppedBranchTasks": OBSERVED.stopped_branch_tasks,
        }
    if status == "RUNNING":
        result.update(status="TIMEOUT", error="MotoAsl.Timeout", cause=f"still RUNNING after {timeout} s")
    elif result["unmockedTasks"]:
        result.update(status="UNMOCKED_TASK", error=UNMOCKED_ERROR, cause=f"not in the test case: {sorted(set(result['unmockedTasks']))}")
    return result


def emit(obj) -> None:
    sys.stdout.write(json.dumps(obj, default=str) + "\n")
    sys.stdout.flush()


def probe() -> int:
    """What is installed, without importing moto (which takes seconds): exit 3, with the reason, when it will not do."""
    import importlib.metadata
    import importlib.util

    found = {"python": sys.version.split()[0]}
    try:
        found["moto"] = importlib.metadata.version("moto")
    except importlib.metadata.PackageNotFoundError:
        emit({**found, "missing": "moto is not installed"})
        return 3
    major, minor = (int(part) if part.isdigit() else 0 for part in (found["moto"].split(".") + ["0"])[:2])
    if (major, minor) < (5, 1):
        emit({**found, "missing": f"moto {found['moto']} has no Step Functions interpreter (it came with moto 5.1)"})
        return 3
    lacking = [module for module in ("antlr4", "jsonpath_ng") if importlib.util.find_spec(module) is None]
    if lacking:
        emit({**found, "missing": f"moto's Step Functions interpreter needs {', '.join(lacking)} (pip install 'moto[stepfunctions]')"})
        return 3
    emit(found)
    return 0


def main() -> int:
    if sys.argv[1:] == ["--probe"]:
        return probe()
    if sys.argv[1:]:
        sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
        return 2
    began = time.monotonic()
    try:
        request = json.load(sys.stdin)
        os.environ["MOTO_ACCOUNT_ID"] = request["account"]
        for key, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"), ("AWS_DEFAULT_REGION", request["region"])):
            os.environ.setdefault(key, value)
        import boto3
        import moto
        from moto import mock_aws
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
        bridge = NodeJsonata(request["node"], request["bridge"])
        install_patches(bridge, request["mockConfig"])
    except Exception as err:  # a setup error: one line, then exit 2
        emit({"setupError": f"{type(err).__name__}: {err}"})
        return 2
    try:
        with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
            sfn = boto3.client("stepfunctions", region_name=request["region"])
            backend = stepfunctions_parser_backends[request["account"]][request["region"]]
            role = f"arn:aws:iam::{request['account']}:role/crosscheck"
            arns = {
                m["name"]: sfn.create_state_machine(name=m["name"], definition=m["definition"], roleArn=role)["stateMachineArn"]
                for m in request["machines"]
            }
            for case in request["cases"]:
                try:
                    emit(run_case(sfn, backend, arns, case, float(request.get("timeoutSeconds", 30))))
                except Exception as err:  # this case could not run; the others still do
                    emit({"id": case["id"], "status": "DRIVER_ERROR", "error": type(err).__name__, "cause": str(err)})
        emit({"summary": {"moto": moto.__version__, "jsonata": bridge.version, "jsonataEvaluations": bridge.evaluations, "seconds": round(time.monotonic() - began, 2)}})
        return 0
    except Exception as err:
        emit({"setupError": f"{type(err).__name__}: {err}"})
        return 2
    finally:
        bridge.close()


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    # A stopped branch's worker thread, or an execution still running past its timeout, must not keep us alive.
    os._exit(code)

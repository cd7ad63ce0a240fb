"""The Dockerfile and deploy/: they parse, and every command they run is a real linkindex command.

Every command the files run (compose ``command`` and healthchecks, Kubernetes
container ``command``/``args`` and exec probes, the Dockerfile's ENTRYPOINT
and CMD, the ``linkindex`` lines of deploy/README.md) goes through the CLI's
own argparse parser, with ``$VAR``/``${VAR}``/``$(VAR)`` references resolved
as compose, Kubernetes or the shell would, so a typo or a removed option
fails here rather than on a cluster. The shell snippets the workers' probes
and init containers run are run for real against a Redis.
"""

from contextlib import redirect_stderr
from dataclasses import dataclass
import fnmatch
import io
import itertools
import json
import math
import os
from pathlib import Path
import re
import shlex
import signal
import subprocess
import sys
import tomllib

import pytest
import yaml

from linkindex.cli import build_parser
from linkindex.commands.common import DEFAULT_DATA_DIR

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE_FILE = DEPLOY / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
README = DEPLOY / "README.md"
SPARK = DEPLOY / "spark"
SPARK_DOCKERFILE = SPARK / "Dockerfile"
SPARK_APP = SPARK / "linkindex-spark.py"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
VERSION = PYPROJECT["project"]["version"]

# The variables compose needs to read the file; every other one takes its default.
COMPOSE_VARIABLES = {"REDIS_PASSWORD": "password"}
SHARED_DATA = {"compose": "data", "k8s": "linkindex-data"}  # the volume every worker writes to


def yaml_files() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.suffix in (".yml", ".yaml"))


def load_all(path: Path) -> list:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


# --- Dockerfile: a line parser -------------------------------------------------------


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs: continuation lines joined, comments dropped."""
    instructions, current = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        instruction, _, arguments = (current + line).partition(" ")
        instructions.append((instruction.upper(), arguments.strip()))
        current = ""
    assert not current, "the Dockerfile ends inside a continuation line"
    return instructions


def dockerfile_stages(text: str) -> list[list[tuple[str, str]]]:
    stages = []
    for instruction, arguments in dockerfile_instructions(text):
        if instruction == "FROM":
            stages.append([])
        assert stages, f"{instruction} before the first FROM"
        stages[-1].append((instruction, arguments))
    return stages


def exec_form(arguments: str) -> list[str]:
    assert arguments.startswith("["), f"not exec (JSON) form: {arguments}"
    return json.loads(arguments)


def dockerfile_env(stage) -> dict[str, str]:
    env = {}
    for instruction, arguments in stage:
        if instruction == "ENV":
            for pair in shlex.split(arguments):
                name, _, value = pair.partition("=")
                env[name] = value
    return env


def copy_sources(stage) -> list[str]:
    sources = []
    for instruction, arguments in stage:
        if instruction == "COPY" and "--from=" not in arguments:
            words = [w for w in shlex.split(arguments) if not w.startswith("--")]
            sources += words[:-1]
    return sources


FINAL_STAGE = dockerfile_stages(DOCKERFILE.read_text())[-1]
IMAGE_ENV = dockerfile_env(FINAL_STAGE)
IMAGE_VOLUMES = [
    volume
    for instruction, arguments in FINAL_STAGE
    if instruction == "VOLUME"
    for volume in (exec_form(arguments) if arguments.startswith("[") else arguments.split())
]
IMAGE_ENTRYPOINT = exec_form(next(a for i, a in FINAL_STAGE if i == "ENTRYPOINT"))
IMAGE_CMD = exec_form(next(a for i, a in FINAL_STAGE if i == "CMD"))


# --- Variables, as compose, Kubernetes and the shell resolve them --------------------

COMPOSE_VARIABLE = re.compile(r"\$(?:(\$)|\{(\w+)(?:(:?[-?])([^}]*))?\}|(\w+))")


def compose_interpolate(value, variables=COMPOSE_VARIABLES):
    """Compose's interpolation of a loaded YAML value: ${VAR}, ${VAR:-default}, ${VAR:?error}, $VAR, $$."""
    if isinstance(value, dict):
        return {k: compose_interpolate(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [compose_interpolate(v, variables) for v in value]
    if not isinstance(value, str):
        return value

    def replace(match):
        escaped, name, operator, argument, bare = match.groups()
        if escaped:
            return "$"
        name = name or bare
        found = variables.get(name, "")
        if operator in (":-", "-"):
            return found or argument
        if operator in (":?", "?"):
            assert found, f"compose requires ${name}: {argument}"
        return found

    return COMPOSE_VARIABLE.sub(replace, value)


def k8s_expand(text: str, env: dict[str, str]) -> tuple[str, list[str]]:
    """Kubernetes' expansion of $(VAR) in a container's command and args: the text and the undefined names."""
    undefined = []

    def replace(match):
        if match.group(1):
            return "$"
        name = match.group(2)
        if name in env:
            return env[name]
        undefined.append(name)
        return match.group(0)

    return re.sub(r"\$(\$)|\$\((\w+)\)", replace, text), undefined


SHELL_KEYWORDS = {"until", "while", "if", "then", "do", "else", "elif", "!", "exec", "time"}


def shell_linkindex_calls(script: str, env: dict[str, str] | None) -> list[list[str]]:
    """The argument lists of every `linkindex` a shell snippet runs.

    Command substitutions become a placeholder; $VAR and ${VAR} come from
    ``env`` (all must be defined there), or a placeholder when env is None.
    """
    script = re.sub(r"\$\([^)]*\)", "command-output", script)

    def variable(match):
        name = match.group(1) or match.group(2)
        if env is None:
            return f"value-of-{name}"
        if name not in env:
            raise AssertionError(f"the snippet uses ${name}, which its environment does not define: {script}")
        return env[name]

    script = re.sub(r"\$\{(\w+)\}|\$([A-Za-z_]\w*)", variable, script)
    lexer = shlex.shlex(script, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    calls, segment = [], []
    for token in [*lexer, ";"]:
        if token and set(token) <= set(lexer.punctuation_chars):
            words = segment
            while words and words[0] in SHELL_KEYWORDS:
                words = words[1:]
            if "linkindex" in words:
                at = words.index("linkindex")
                if at == 0 or words[at - 1] == "--":  # `kubectl exec POD -- linkindex ...`
                    calls.append(words[at + 1 :])
            segment = []
        else:
            segment.append(token)
    return calls


# --- Every command the files run ------------------------------------------------------


@dataclass
class Command:
    where: str
    args: list[str]  # linkindex's arguments
    env: dict[str, str] | None  # the container's environment (None: a user's shell)
    mounts: dict[str, str] | None  # mount path -> volume (None: a user's shell)
    error: str | None = None  # why no command could be read there


def reading(where: str, read, *args) -> list[Command]:
    """``read(*args)``'s commands, or one that fails the test with the reason it could not be read."""
    try:
        return read(*args)
    except (AssertionError, KeyError, ValueError) as exc:
        return [Command(where, [], None, None, f"{type(exc).__name__}: {exc}")]


def argv_calls(argv: list[str], env) -> list[list[str]]:
    """linkindex argument lists of a full argv: `linkindex ...` or `sh -c SCRIPT`."""
    if argv[0] == "linkindex":
        return [argv[1:]]
    if argv[:2] == ["sh", "-c"]:
        calls = shell_linkindex_calls(argv[2], env)
        assert calls, f"`sh -c` runs no linkindex command: {argv[2]}"
        return calls
    raise AssertionError(f"runs {argv[0]}, not linkindex: {argv}")


def uses_image(image: str) -> bool:
    return image.rsplit("/", 1)[-1].split(":")[0] == "linkindex"


def compose_services() -> dict:
    return compose_interpolate(yaml.safe_load(COMPOSE_FILE.read_text()))["services"]


def compose_service_commands(name: str, service: dict) -> list[Command]:
    env = {**IMAGE_ENV, **service.get("environment", {})}
    mounts = {}
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        mounts[target] = source
    entrypoint = service.get("entrypoint", IMAGE_ENTRYPOINT)
    command = service.get("command", IMAGE_CMD)
    if isinstance(command, str):
        command = shlex.split(command)
    runs = {"command": [*entrypoint, *command]}
    test = service.get("healthcheck", {}).get("test")
    if test:
        runs["healthcheck"] = ["sh", "-c", test[1]] if test[0] == "CMD-SHELL" else test[1:]
    return [
        Command(f"compose:{name}:{what}", args, env, mounts)
        for what, argv in runs.items()
        for args in argv_calls(argv, env)
    ]


def compose_commands() -> list[Command]:
    commands = []
    for name, service in compose_services().items():
        if uses_image(service.get("image", "")):
            commands += reading(f"compose:{name}", compose_service_commands, name, service)
    return commands


def k8s_documents() -> list[tuple[Path, dict]]:
    return [
        (path, doc)
        for path in yaml_files()
        if path.is_relative_to(K8S) and path.name != "kustomization.yaml"
        for doc in load_all(path)
    ]


def pod_spec(doc: dict) -> dict | None:
    kind = doc["kind"]
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"):
        return doc["spec"]["template"]["spec"]
    if kind == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    if kind == "Pod":
        return doc["spec"]
    return None


def pod_containers() -> list[tuple[str, dict, dict, dict]]:
    """(where, document, pod spec, container) for every container and init container."""
    found = []
    for path, doc in k8s_documents():
        spec = pod_spec(doc)
        for container in (spec or {}).get("initContainers", []) + (spec or {}).get("containers", []):
            where = f"{path.relative_to(DEPLOY)}:{doc['metadata']['name']}/{container['name']}"
            found.append((where, doc, spec, container))
    return found


def config_map_values() -> dict[tuple[str, str], str]:
    """(ConfigMap, key) -> value, from the kustomizations' configMapGenerators."""
    values = {}
    for path in K8S.rglob("kustomization.yaml"):
        for generator in yaml.safe_load(path.read_text()).get("configMapGenerator", []):
            for literal in generator.get("literals", []):
                key, _, value = literal.partition("=")
                values[generator["name"], key] = value
            for file in generator.get("files", []):
                key, _, source = file.rpartition("=")
                values[generator["name"], key or Path(source).name] = (path.parent / source).read_text()
    return values


def container_env(container: dict) -> dict[str, str]:
    env = dict(IMAGE_ENV)
    config_maps = config_map_values()
    for variable in container.get("env", []):
        if "value" in variable:
            env[variable["name"]] = variable["value"]
        elif "configMapKeyRef" in variable["valueFrom"]:
            ref = variable["valueFrom"]["configMapKeyRef"]
            env[variable["name"]] = config_maps[ref["name"], ref["key"]]
        else:
            ref = variable["valueFrom"]["secretKeyRef"]
            env[variable["name"]] = f"secret-{ref['name']}-{ref['key']}"
    return env


def container_mounts(spec: dict, container: dict) -> dict[str, str]:
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    mounts = {}
    for mount in container.get("volumeMounts", []):
        volume = volumes.get(mount["name"], {})
        mounts[mount["mountPath"]] = volume.get("persistentVolumeClaim", {}).get("claimName", mount["name"])
    return mounts


PROBES = ("startupProbe", "readinessProbe", "livenessProbe")


def container_commands(where: str, spec: dict, container: dict) -> list[Command]:
    env, mounts = container_env(container), container_mounts(spec, container)
    expanded = []
    for word in container.get("command", []) + container.get("args", []):
        text, undefined = k8s_expand(word, env)
        if undefined:
            raise AssertionError(f"$({undefined[0]}) is not in the container's env")
        expanded.append(text)
    argv = expanded if "command" in container else [*IMAGE_ENTRYPOINT, *(expanded or IMAGE_CMD)]
    commands = [Command(f"{where}:command", args, env, mounts) for args in argv_calls(argv, env)]
    for probe in PROBES:
        if probe in container:
            argv = container[probe]["exec"]["command"]
            commands += [Command(f"{where}:{probe}", args, env, mounts) for args in argv_calls(argv, env)]
    return commands


def k8s_commands() -> list[Command]:
    commands = []
    for where, _doc, spec, container in pod_containers():
        if uses_image(container["image"]):
            commands += reading(where, container_commands, where, spec, container)
    return commands


def readme_code_lines() -> list[tuple[int, str]]:
    """(line number, command) in the README's sh code blocks, continuation lines joined."""
    lines, in_block, pending = [], False, None
    for number, line in enumerate(README.read_text().splitlines(), 1):
        if line.startswith("```"):
            in_block = line == "```sh"
        elif in_block and line.strip():
            start, text = pending or (number, "")
            if line.endswith("\\"):
                pending = (start, text + line[:-1])
            else:
                lines.append((start, text + line))
                pending = None
    return lines


def readme_line_commands(where: str, line: str) -> list[Command]:
    """`linkindex ...` (also after `kubectl exec POD --`), and `docker compose run SERVICE ARGS`."""
    commands = [Command(where, args, None, None) for args in shell_linkindex_calls(line, None)]
    words = shlex.split(re.sub(r"\$\([^)]*\)", "command-output", line), comments=True)
    if "spark-submit" in words:
        commands.append(Command(f"{where}:spark-submit", spark_submit_arguments(words), None, None))
    if words[:2] == ["docker", "compose"] and "run" in words:
        rest = words[words.index("run") + 1 :]
        while rest and rest[0].startswith("-"):
            rest = rest[1:]
        service, args = rest[0], rest[1:]
        if not uses_image(compose_services()[service]["image"]):
            raise AssertionError(f"the compose service {service} does not run linkindex")
        commands.append(Command(f"{where}:compose-run", args, None, None))
    return commands


def spark_submit_arguments(words: list[str]) -> list[str]:
    """linkindex's arguments in a spark-submit command: those after the application file, ours."""
    application = next((i for i, word in enumerate(words) if word.endswith(".py")), None)
    assert application is not None, f"spark-submit runs no Python application: {shlex.join(words)}"
    assert (ROOT / words[application]).resolve() == SPARK_APP.resolve(), f"not {SPARK_APP}: {words[application]}"
    return words[application + 1 :]


def spark_applications() -> list[tuple[Path, dict]]:
    """The Spark operator's SparkApplications under deploy/spark."""
    return [
        (path, doc)
        for path in yaml_files()
        if path.is_relative_to(SPARK)
        for doc in load_all(path)
        if doc.get("kind") == "SparkApplication"
    ]


def spark_application_commands() -> list[Command]:
    return [
        Command(f"{path.relative_to(DEPLOY)}:{doc['metadata']['name']}", list(doc["spec"]["arguments"]), None, None)
        for path, doc in spark_applications()
    ]


def readme_commands() -> list[Command]:
    commands = []
    for number, line in readme_code_lines():
        commands += reading(f"README.md:{number}", readme_line_commands, f"README.md:{number}", line)
    return commands


def dockerfile_command() -> Command:
    # Its environment is completed where it runs (REDIS_URL): test_dockerfile checks the image's.
    return Command("Dockerfile:CMD", [*IMAGE_ENTRYPOINT[1:], *IMAGE_CMD], None, None)


ALL_COMMANDS = (
    compose_commands() + k8s_commands() + readme_commands() + spark_application_commands() + [dockerfile_command()]
)
CRAWL_ID = config_map_values()["linkindex", "crawl-id"]


@pytest.fixture
def parse(monkeypatch):
    """linkindex's own parser, with defaults that do not come from this process's environment."""
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("LINKINDEX_DATA", raising=False)

    def parse(args: list[str]):
        errors = io.StringIO()
        try:
            with redirect_stderr(errors):
                return build_parser().parse_args(args)
        except SystemExit:
            pass
        pytest.fail(f"linkindex {shlex.join(args)}: {errors.getvalue().strip()}")

    return parse


def commands_at(prefix: str) -> list[Command]:
    found = [c for c in ALL_COMMANDS if c.where.startswith(prefix)]
    assert found, f"no command at {prefix}"
    return found


# --- Tests ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", yaml_files(), ids=lambda p: str(p.relative_to(DEPLOY)))
def test_yaml_parses(path):
    documents = load_all(path)
    assert documents
    if path.is_relative_to(K8S):
        for doc in documents:
            assert doc["apiVersion"] and doc["kind"], path
            if doc["kind"] != "Kustomization":
                assert doc["metadata"]["name"], path


@pytest.mark.parametrize("command", ALL_COMMANDS, ids=lambda c: c.where)
def test_command_is_a_real_linkindex_command(command, parse):
    assert command.error is None, command.error
    args = parse(command.args)
    if command.env is None:
        return
    if getattr(args, "redis", "") is None:
        assert command.env.get("REDIS_URL"), f"{command.where}: no --redis and no $REDIS_URL"
    if hasattr(args, "data"):
        data = command.env.get("LINKINDEX_DATA") if args.data == DEFAULT_DATA_DIR else args.data
        assert data in command.mounts, f"{command.where}: the data directory {data} is not a mounted volume"


def test_the_readme_runs_linkindex():
    assert {c.args[0] for c in commands_at("README.md")} >= {"status", "build", "report", "query", "extract"}


def test_workers_run_the_same_command_everywhere(parse):
    """Compose and the k8s Job run the same worker; the Deployment's never exits (it would be restarted)."""

    def worker(where):
        (command,) = commands_at(where)
        return vars(parse(command.args))

    compose = worker("compose:worker:command")
    job = worker("k8s/worker-job/worker-job.yaml:linkindex-worker/worker:command")
    deployment = worker("k8s/worker-deployment.yaml:linkindex-worker/worker:command")
    assert compose["command"] == "worker"
    assert compose == job
    assert job.pop("idle_exit") is None
    assert deployment.pop("idle_exit") == math.inf
    assert deployment == job


@pytest.mark.parametrize("prefix", ["compose:", "k8s/"])
def test_one_crawl_id_per_deployment(prefix, parse):
    """Seed, workers, probes and waits all name the same crawl (compose's default is the ConfigMap's)."""
    crawl_ids = {getattr(parse(c.args), "crawl_id", None) for c in commands_at(prefix)} - {None}
    assert crawl_ids == {CRAWL_ID}


def test_dockerfile():
    stages = dockerfile_stages(DOCKERFILE.read_text())
    final = stages[-1]
    assert final[0][1].startswith("python:3.11-slim")
    user = [a for i, a in final if i == "USER"][-1].split(":")[0]
    assert user.isdigit() and int(user) != 0, "a numeric, non-root USER (Kubernetes runAsNonRoot checks it)"
    assert IMAGE_ENTRYPOINT == ["linkindex"]
    assert IMAGE_CMD == ["worker"]
    assert IMAGE_VOLUMES == ["/data"]
    assert IMAGE_ENV["LINKINDEX_DATA"] == "/data"
    assert "REDIS_URL" in IMAGE_ENV and not IMAGE_ENV["REDIS_URL"], "declared, with no address baked in"
    runs = [(stage is final, a) for stage in stages for i, a in stage if i == "RUN"]
    assert any(re.search(r"\bpip\b.*\binstall\b.* \.$", a) for in_final, a in runs if not in_final)
    installs = re.compile(r"\b(apt-get|apt|apk|pip)\b.*\binstall\b")
    assert not [a for in_final, a in runs if in_final and installs.search(a)], "installs in the final stage"
    assert any(i == "COPY" and a.startswith("--from=") for i, a in final)


def dockerignore_allows(path: str) -> bool:
    """Whether .dockerignore keeps ``path`` in the build context (last matching pattern wins)."""
    allowed = True
    parts = path.strip("/").split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    for line in DOCKERIGNORE.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        if any(fnmatch.fnmatchcase(c, pattern) for c in candidates):
            allowed = negated
    return allowed


def test_the_image_gets_the_package_and_nothing_else():
    stages = dockerfile_stages(DOCKERFILE.read_text())
    copied = {source.strip("/") for stage in stages for source in copy_sources(stage)}
    setuptools = PYPROJECT["tool"]["setuptools"]
    needed = {"pyproject.toml", PYPROJECT["project"]["readme"], *PYPROJECT["project"]["license-files"]}
    needed |= {pattern.rstrip("*") for pattern in setuptools["packages"]["find"]["include"]}
    assert needed <= copied, f"the Dockerfile does not copy {sorted(needed - copied)}"
    for source in copied:
        assert (ROOT / source).exists(), source
        assert dockerignore_allows(source), f".dockerignore leaves out {source}"
    for secret_or_bulk in (".git/config", "deploy/.env", "tests/test_cli.py", "linkindex-data/index.duckdb"):
        assert not dockerignore_allows(secret_or_bulk), secret_or_bulk


def test_pip_install_gets_every_package():
    from setuptools import find_packages

    include = PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    found = set(find_packages(where=ROOT, include=include))
    for top in ("linkindex", "crawler", "pipelines", "queries"):
        for init in (ROOT / top).rglob("__init__.py"):
            package = ".".join(init.parent.relative_to(ROOT).parts)
            assert package in found, f"{package} would not be installed by pip install ."


def test_a_restarted_container_gets_a_new_worker_id():
    as_a_container = (
        "import os, socket; os.getpid = lambda: 1; socket.gethostname = lambda: 'pod';"
        "from pipelines.parquet import worker_id; print(worker_id())"
    )

    def run():
        command = [sys.executable, "-c", as_a_container]
        return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout

    assert run() != run()


def test_compose():
    services = compose_services()
    redis = services["redis"]
    assert option(redis["command"], "--appendonly") == "yes"
    assert option(redis["command"], "--appendfsync") == "everysec"
    assert option(redis["command"], "--maxmemory-policy") == "noeviction"
    assert "redis:/data" in redis["volumes"]
    assert redis["healthcheck"]["test"]
    for name, service in services.items():
        if uses_image(service.get("image", "")):
            assert service["depends_on"]["redis"]["condition"] == "service_healthy", name
    worker = services["worker"]
    assert worker["depends_on"]["seed"]["condition"] == "service_completed_successfully"
    assert worker["restart"] == "on-failure", "a worker exits 0 when the crawl is done: no restart then"
    assert worker["healthcheck"]["test"][0] == "CMD-SHELL"
    assert services["seed"].get("restart", "no") == "no"
    assert services["extract-worker"]["profiles"] == ["extract"]
    shared = yaml.safe_load(COMPOSE_FILE.read_text())["volumes"]
    assert SHARED_DATA["compose"] in shared and "redis" in shared


def option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def test_k8s_redis_has_aof_on_a_volume():
    (redis,) = [(doc, c) for _, doc, _, c in pod_containers() if c["image"].startswith("redis:")]
    doc, container = redis
    assert option(container["args"], "--appendonly") == "yes"
    assert option(container["args"], "--appendfsync") == "everysec"
    assert option(container["args"], "--maxmemory-policy") == "noeviction"
    (mount,) = [m for m in container["volumeMounts"] if m["mountPath"] == "/data"]
    assert mount["name"] in {t["metadata"]["name"] for t in doc["spec"]["volumeClaimTemplates"]}
    assert {"readinessProbe", "livenessProbe"} <= container.keys()


@pytest.mark.parametrize("where", [w for w, *_ in pod_containers()])
def test_k8s_containers_have_resources(where):
    (container,) = [c for w, _, _, c in pod_containers() if w == where]
    resources = container["resources"]
    assert {"cpu", "memory"} <= resources["requests"].keys()
    assert "memory" in resources["limits"]


def test_k8s_workers():
    kinds = {}
    for _, doc, spec, container in pod_containers():
        if doc["metadata"]["name"] == "linkindex-worker" and container["name"] == "worker":
            kinds[doc["kind"]] = container
            assert container_mounts(spec, container)["/data"] == SHARED_DATA["k8s"]
            assert [c["name"] for c in spec["initContainers"]] == ["wait-for-seed"]
    assert kinds.keys() == {"Deployment", "Job"}
    assert {"readinessProbe", "livenessProbe"} <= kinds["Deployment"].keys()
    assert "livenessProbe" in kinds["Job"]
    (claim,) = [doc for _, doc in k8s_documents() if doc["metadata"]["name"] == SHARED_DATA["k8s"]]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]


def test_k8s_probes_use_no_kubernetes_variables():
    """Kubernetes expands $(VAR) in command and args, never in probes: there the shell would run VAR."""
    for where, _, _, container in pod_containers():
        for probe in PROBES:
            for word in container.get(probe, {}).get("exec", {}).get("command", []):
                names = set(re.findall(r"\$\((\w+)\)", word)) & container_env(container).keys()
                assert not names, f"{where} {probe}: $({names.pop()}) is not expanded in a probe"


def test_kustomizations_name_existing_files_and_every_manifest():
    listed = set()
    for path in K8S.rglob("kustomization.yaml"):
        kustomization = yaml.safe_load(path.read_text())
        for resource in kustomization["resources"]:
            target = (path.parent / resource).resolve()
            assert target.is_file() or (target / "kustomization.yaml").is_file(), f"{path}: {resource}"
            listed.add(target)
        for generator in kustomization.get("configMapGenerator", []):
            for file in generator.get("files", []):
                assert (path.parent / file.rpartition("=")[2]).is_file(), f"{path}: {file}"
    manifests = {path.resolve() for path, _ in k8s_documents()}
    assert manifests <= listed, f"in no kustomization: {sorted(manifests - listed)}"


def test_the_readme_names_what_exists():
    names = {(doc["kind"], doc["metadata"]["name"]) for _, doc in k8s_documents()}
    kinds = {"deploy": "Deployment", "deployment": "Deployment", "job": "Job", "statefulset": "StatefulSet"}
    for _, line in readme_code_lines():
        words = shlex.split(re.sub(r"\$\([^)]*\)", "command-output", line), comments=True)
        if words[:1] != ["kubectl"]:
            continue
        for before, word in itertools.pairwise(words):
            if before == "-k":
                assert (ROOT / word / "kustomization.yaml").is_file(), line
            elif match := re.fullmatch(r"(deploy|deployment|job|statefulset)/([a-z0-9-]+)", word):
                assert (kinds[match[1]], match[2]) in names, line


def test_spark_applications_run_linkindex_from_the_spark_image(parse):
    text = SPARK_DOCKERFILE.read_text()
    instructions = dockerfile_instructions(text)
    first = next(n for n, (i, _) in enumerate(instructions) if i == "FROM")
    (stage,) = dockerfile_stages(text[text.index("\nFROM ") :])  # the ARG before FROM sets the image's version
    assert stage[0][1].startswith("spark:"), "the official Spark image: its entrypoint is what the operator runs"
    spark_version = next(a.split("=", 1)[1] for i, a in instructions[:first] if a.startswith("SPARK_VERSION="))
    copied = {}
    for instruction, arguments in stage:
        if instruction == "COPY":
            *sources, target = [w for w in shlex.split(arguments) if not w.startswith("--")]
            for source in sources:
                assert (ROOT / source).exists(), source
                assert dockerignore_allows(source), f".dockerignore leaves out {source}"
                copied[source.rstrip("/")] = target
    assert any("pip install" in a and ".[spark]" in a and "pyspark==${SPARK_VERSION}" in a
               for i, a in stage if i == "RUN"), "pyspark pinned to the image's Spark"
    applications = spark_applications()
    assert {doc["metadata"]["name"] for _, doc in applications} == {"linkindex-build", "linkindex-extract"}
    for path, doc in applications:
        spec = doc["spec"]
        args = parse(spec["arguments"])
        assert args.engine == "spark", path
        assert spec["type"] == "Python" and uses_image(spec["image"]), path
        assert spec["mainApplicationFile"] == "local://" + copied[str(SPARK_APP.relative_to(ROOT))], path
        assert spec["sparkVersion"] == spark_version, path
        claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in spec["volumes"]}
        for role in ("driver", "executor"):
            mounts = {m["mountPath"]: claims[m["name"]] for m in spec[role]["volumeMounts"]}
            # Driver and executors read and write the same data directory: the shared volume.
            for location in (args.data, getattr(args, "output", None), *getattr(args, "inputs", [])):
                if location:
                    assert any(Path(location).is_relative_to(m) for m in mounts), f"{path} {role}: {location}"
            assert set(mounts.values()) == {SHARED_DATA["k8s"]}, path
        assert {"cores", "memory"} <= spec["driver"].keys() and {"instances", "memory"} <= spec["executor"].keys()


def test_the_spark_application_file_runs_the_command_line():
    done = subprocess.run([sys.executable, str(SPARK_APP), "--version"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0 and done.stdout.strip() == f"linkindex {VERSION}", done.stderr


def test_the_readme_submits_both_spark_jobs(parse):
    submitted = [parse(c.args) for c in ALL_COMMANDS if c.where.endswith(":spark-submit")]
    assert {(args.command, args.engine) for args in submitted} == {("build", "spark"), ("extract", "spark")}


def test_one_image_version():
    """The image tag the files use is the package's version."""
    texts = [p.read_text() for p in [*yaml_files(), README, DOCKERFILE]]
    tags = {tag for text in texts for tag in re.findall(r"\blinkindex:(\d[\w.]*)", text)}
    assert tags == {VERSION}


# --- The shell snippets, run against a real Redis -------------------------------------


def snippets(name: str) -> set[str]:
    """The distinct shell snippets of the k8s workers' container or probe ``name``."""
    found = set()
    for _, doc, spec, container in pod_containers():
        if doc["metadata"]["name"] != "linkindex-worker":
            continue
        for init in spec["initContainers"]:
            if init["name"] == name:
                found.add(init["command"][2])
        if name in container:
            found.add(container[name]["exec"]["command"][2])
    assert found, name
    return found


def run_snippet(script: str, redis_url: str, timeout: float = 30) -> int | None:
    """Run a snippet as the container would (linkindex on PATH); None if still running at ``timeout``."""
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "REDIS_URL": redis_url,
        "CRAWL_ID": CRAWL_ID,
    }
    process = subprocess.Popen(["sh", "-c", script], env=env, start_new_session=True)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return None


needs_a_shell = pytest.mark.skipif(
    not (Path(sys.executable).parent / "linkindex").exists() or not Path("/bin/sh").exists(),
    reason="needs sh and the linkindex script beside this Python",
)


@needs_a_shell
def test_the_workers_wait_for_the_seeds(redis_server):
    from linkindex.cli import main

    scripts = snippets("wait-for-seed")
    assert len(scripts) == 1, f"the worker Deployment and Job wait differently: {scripts}"
    (script,) = scripts
    condition = re.fullmatch(r"until (.+?); do .*; done", script)
    assert condition, script
    assert run_snippet(condition.group(1), redis_server.url) != 0, "not seeded yet"
    assert main(["seed", "https://example.com/", "--crawl-id", CRAWL_ID, "--redis", redis_server.url]) == 0
    assert run_snippet(condition.group(1), redis_server.url) == 0
    assert run_snippet(script, redis_server.url) == 0


@needs_a_shell
def test_the_probes_see_this_workers_heartbeat(redis_server):
    from crawler.distributed import HEARTBEAT, CrawlKeys
    from pipelines.parquet import worker_id

    healthchecks = {
        service["healthcheck"]["test"][1]
        for service in compose_services().values()
        if "healthcheck" in service and uses_image(service["image"])
    }
    scripts = snippets("livenessProbe") | snippets("readinessProbe") | healthchecks
    assert len(scripts) == 2, f"one k8s probe and one compose healthcheck, not: {scripts}"
    server, workers = redis_server.client(), CrawlKeys(CRAWL_ID).workers
    for script in scripts:
        assert run_snippet(script, redis_server.url) != 0, f"no heartbeat yet: {script}"
    server.zadd(workers, {worker_id(): float(server.time()[0]) - 120})
    for script in scripts:
        assert run_snippet(script, redis_server.url) != 0, f"a heartbeat past the lease timeout: {script}"
    server.register_script(HEARTBEAT)(keys=[workers], args=[worker_id()])
    for script in scripts:
        assert run_snippet(script, redis_server.url) == 0, script

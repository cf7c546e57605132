"""The Kubernetes manifests in deploy/k8s: render each kustomization with `kubectl kustomize`,
validate the output against the Kubernetes API schemas (kubernetes-validate, offline) and check
the wiring between the pieces: ports, probes, resources, security, images, env references and
the network policies that keep FastAGI reachable from the PBX only.

Run with `pytest -p no:nameko tests/deploy`.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from jsonschema import Draft7Validator
from kubernetes_validate.utils import SchemaNotFoundError

from svckit.services import SERVICES as PLATFORM

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
SECRET_TEMPLATE = K8S / "base" / "secret.template.yaml"

# The Kubernetes API version the manifests must be valid for (the kubectl here is 1.32).
KUBERNETES_VERSION = "1.32.0"
NAMESPACE = "csc"

TARGETS = ["base", "overlays/dev", "overlays/prod"]
IDS = ["base", "dev", "prod"]

# Deployment name -> (config file, module:Class) it must run: every service (svckit/services.py).
SERVICES = {service.name: (service.config, service.entry) for service in PLATFORM}
MIGRATE_JOB = "csc-migrate"
MIGRATE_COMMAND = ["python", "scripts/manage.py", "migrate"]
METRICS_PORT = {service.name: int(service.address.rsplit(":", 1)[1]) for service in PLATFORM}
FASTAGI_PORT = 4573
# ConfigMap bind address -> (Deployment, containerPort it must match): every service's HTTP one.
BIND_ADDRESSES = {
    "FASTAGI_ADDRESS": ("calls", FASTAGI_PORT),
    **{service.address_env: (service.name, METRICS_PORT[service.name]) for service in PLATFORM},
}
PBX_LABEL = {"csc/role": "pbx"}
MONITORING_NAMESPACE = {"kubernetes.io/metadata.name": "monitoring"}

CRD_SCHEMAS = Path(__file__).parent / "crd_schemas"  # the operators' kinds (README there)
AUTOSCALED = {"calls", "gateway"}


# -- rendering and lookup helpers ------------------------------------------------------------


@functools.cache
def _kustomize(target: str) -> subprocess.CompletedProcess:
    if shutil.which("kubectl") is None:  # never a silent skip
        pytest.fail("kubectl is not installed: scripts/ensure_kubectl.sh (run by `make test`) "
                    "installs Debian's kubernetes-client where the machine has no kubectl")
    return subprocess.run(
        ["kubectl", "kustomize", str(K8S / target)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def render(target: str) -> tuple[dict, ...]:
    """The objects `kubectl kustomize` renders for ``target`` (run once per target)."""
    result = _kustomize(target)
    if result.returncode != 0:
        pytest.fail(f"kubectl kustomize {target} failed:\n{result.stderr[-2000:]}")
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


@pytest.fixture(params=TARGETS, ids=IDS)
def docs(request) -> tuple[dict, ...]:
    return render(request.param)


def of_kind(docs, kind: str) -> list[dict]:
    return [doc for doc in docs if doc["kind"] == kind]


def named(docs, kind: str, name: str) -> dict:
    found = [doc for doc in of_kind(docs, kind) if doc["metadata"]["name"] == name]
    assert len(found) == 1, f"expected exactly one {kind}/{name}, found {len(found)}"
    return found[0]


def workloads(docs) -> list[dict]:
    return of_kind(docs, "Deployment") + of_kind(docs, "Job")


def pod_spec(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


def all_containers(workload: dict) -> list[dict]:
    spec = pod_spec(workload)
    return spec.get("initContainers", []) + spec["containers"]


def app_workloads(docs) -> list[dict]:
    """The platform's own processes: every service and the migration Job."""
    return [named(docs, "Deployment", name) for name in SERVICES] + [
        named(docs, "Job", MIGRATE_JOB)
    ]


def selects(selector: dict, labels: dict) -> bool:
    """Whether a label selector (matchLabels/matchExpressions, or a plain map) matches."""
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        selector = {"matchLabels": selector}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": labels.get(key) not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[op]
        if not ok:
            return False
    return True


def container_port(containers: list[dict], ref: int | str) -> dict | None:
    """The containerPort entry a Service targetPort or probe port refers to, by name or number."""
    for container in containers:
        for port in container.get("ports", []):
            if ref in (port.get("name"), port["containerPort"]):
                return port
    return None


def probe_port(probe: dict) -> int | str | None:
    for handler in ("httpGet", "tcpSocket", "grpc"):
        if handler in probe:
            return probe[handler]["port"]
    return None


_UNITS = {
    "m": 1e-3,
    "": 1,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
}


def quantity(text: str | int | float) -> float:
    match = re.fullmatch(r"([0-9.]+)(m|k|M|G|Ki|Mi|Gi)?", str(text))
    assert match, f"unparsable quantity {text!r}"
    return float(match.group(1)) * _UNITS[match.group(2) or ""]


def secret_template() -> dict:
    return yaml.safe_load(SECRET_TEMPLATE.read_text(encoding="utf-8"))


def secret_refs(workload: dict) -> list[tuple[str, str]]:
    return [
        (env["valueFrom"]["secretKeyRef"]["name"], env["valueFrom"]["secretKeyRef"]["key"])
        for container in all_containers(workload)
        for env in container.get("env", [])
        if "secretKeyRef" in env.get("valueFrom", {})
    ]


def configmap_refs(workload: dict) -> list[str]:
    refs = [
        source["configMapRef"]["name"]
        for container in all_containers(workload)
        for source in container.get("envFrom", [])
        if "configMapRef" in source
    ]
    refs += [
        vol["configMap"]["name"]
        for vol in pod_spec(workload).get("volumes", [])
        if "configMap" in vol
    ]
    return refs


# -- rendering and schema ---------------------------------------------------------------------


def test_renders_complete_and_namespaced(docs):
    kinds = {doc["kind"] for doc in docs}
    expected = {
        "Namespace",
        "ConfigMap",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "Job",
        "NetworkPolicy",
    }
    assert expected <= kinds, f"missing kinds: {expected - kinds}"
    keys = [(doc["kind"], doc["metadata"]["name"]) for doc in docs]
    assert len(keys) == len(set(keys)), "duplicate objects in the render"
    for doc in docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == NAMESPACE, (
                f"{doc['kind']}/{doc['metadata']['name']} is not in namespace {NAMESPACE}"
            )
    app_workloads(docs)  # every service and the migration Job are there


def _schema_errors(docs) -> list[str]:
    errors = []
    for doc in docs:
        where = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = "/".join(str(part) for part in exc.absolute_path)
            errors.append(f"{where} at /{path}: {exc.message}")
        except SchemaNotFoundError as exc:
            validator = _crd_validator(doc.get("apiVersion", ""), doc.get("kind", ""))
            if validator is None:
                errors.append(f"{where}: {exc.message}")
                continue
            errors += [
                f"{where} at /{'/'.join(map(str, error.absolute_path))}: {error.message}"
                for error in validator.iter_errors(doc)
            ]
    return errors


def _strict(schema):
    """A CRD schema as kubernetes-validate's strict mode reads built-in kinds: an object's
    unknown fields are errors unless the schema keeps them (preserve-unknown-fields)."""
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    strict = {key: _strict(value) for key, value in schema.items()}
    if ("properties" in strict and "additionalProperties" not in strict
            and not strict.get("x-kubernetes-preserve-unknown-fields")):
        strict["additionalProperties"] = False
    return strict


@functools.cache
def _crd_validator(api_version: str, kind: str) -> Draft7Validator | None:
    group, _, version = api_version.rpartition("/")
    path = CRD_SCHEMAS / f"{group}_{version}_{kind}.json"
    if not path.exists():
        return None
    schema = _strict(json.loads(path.read_text()))
    schema["properties"]["metadata"] = {"type": "object"}
    return Draft7Validator(schema)


def test_validates_against_kubernetes_schema(docs):
    errors = _schema_errors(docs)
    assert not errors, f"invalid for Kubernetes {KUBERNETES_VERSION}:\n" + "\n".join(errors)


def test_secret_template_is_valid_placeholder_and_not_applied():
    template = secret_template()
    assert not _schema_errors([template])
    assert template["metadata"]["name"] == "csc-secrets"
    for key, value in template["stringData"].items():
        assert "REPLACE_ME" in value, f"{key} in the template must be a marked placeholder"
    kustomization = yaml.safe_load((K8S / "base" / "kustomization.yaml").read_text("utf-8"))
    assert SECRET_TEMPLATE.name not in kustomization.get("resources", [])
    # Its keys are exactly those the production workloads read from csc-secrets.
    used = {
        key
        for wl in app_workloads(render("overlays/prod"))
        for name, key in secret_refs(wl)
        if name == "csc-secrets"
    }
    assert used == set(template["stringData"])


def test_prod_render_has_no_secret_values():
    docs = render("overlays/prod")
    assert not of_kind(docs, "Secret"), "production Secrets are provisioned out of band"
    text = yaml.safe_dump_all(docs)
    for marker in ("REPLACE_ME", "csc-dev", "dev-only"):
        assert marker not in text


# -- wiring -----------------------------------------------------------------------------------


def test_service_target_ports_match_container_ports(docs):
    deployments = of_kind(docs, "Deployment")
    targeted: set[tuple[str, int]] = set()
    for service in of_kind(docs, "Service"):
        name = service["metadata"]["name"]
        matches = [
            d
            for d in deployments
            if selects(
                service["spec"]["selector"], d["spec"]["template"]["metadata"].get("labels", {})
            )
        ]
        assert len(matches) == 1, f"Service {name} selects {len(matches)} Deployments"
        deployment = matches[0]
        for port in service["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            found = container_port(all_containers(deployment), target)
            assert found is not None, (
                f"Service {name} port {port['port']} targets {target!r}, which no container "
                f"of Deployment {deployment['metadata']['name']} declares"
            )
            assert found.get("protocol", "TCP") == port.get("protocol", "TCP")
            targeted.add((deployment["metadata"]["name"], found["containerPort"]))
    for deployment in deployments:
        for container in all_containers(deployment):
            for port in container.get("ports", []):
                key = (deployment["metadata"]["name"], port["containerPort"])
                assert key in targeted, f"containerPort {key} is exposed by no Service"


def test_probes(docs):
    for deployment in of_kind(docs, "Deployment"):
        name = deployment["metadata"]["name"]
        for container in all_containers(deployment):
            for kind in ("readinessProbe", "livenessProbe", "startupProbe"):
                if kind not in container:
                    assert kind == "startupProbe", f"{name}/{container['name']} has no {kind}"
                    continue
                port = probe_port(container[kind])
                if port is not None:
                    assert container_port([container], port), (
                        f"{name} {kind} uses port {port!r}, not a declared containerPort"
                    )
    for name, metrics_port in METRICS_PORT.items():
        container = pod_spec(named(docs, "Deployment", name))["containers"][0]
        for kind in ("readinessProbe", "livenessProbe"):
            http = container[kind].get("httpGet")
            assert http, f"{name} {kind} must be an HTTP GET"
            assert http["path"] == {"readinessProbe": "/health/ready",
                                    "livenessProbe": "/health/live"}[kind]
            assert container_port([container], http["port"])["containerPort"] == metrics_port
    calls = pod_spec(named(docs, "Deployment", "calls"))["containers"][0]
    tcp_ports = [
        container_port([calls], calls[kind]["tcpSocket"]["port"])["containerPort"]
        for kind in ("startupProbe", "readinessProbe", "livenessProbe")
        if "tcpSocket" in calls.get(kind, {})
    ]
    assert FASTAGI_PORT in tcp_ports, "calls needs a TCP probe on the FastAGI port"


def test_prometheus_annotations(docs):
    for name, port in METRICS_PORT.items():
        annotations = named(docs, "Deployment", name)["spec"]["template"]["metadata"].get(
            "annotations", {}
        )
        assert annotations.get("prometheus.io/scrape") == "true", name
        assert annotations.get("prometheus.io/port") == str(port), name
        assert annotations.get("prometheus.io/path") == "/metrics", name


def test_resources_and_security_context(docs):
    app_names = {wl["metadata"]["name"] for wl in app_workloads(docs)}
    for workload in workloads(docs):
        name = workload["metadata"]["name"]
        spec = pod_spec(workload)
        pod_sc = spec.get("securityContext", {})
        for container in all_containers(workload):
            where = f"{workload['kind']}/{name}/{container['name']}"
            resources = container.get("resources", {})
            for resource in ("cpu", "memory"):
                request = resources.get("requests", {}).get(resource)
                limit = resources.get("limits", {}).get(resource)
                assert request and limit, f"{where}: {resource} request and limit required"
                assert quantity(request) <= quantity(limit), f"{where}: {resource} request > limit"
            sc = container.get("securityContext", {})
            assert sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is True, where
            assert sc.get("allowPrivilegeEscalation") is False, where
            assert "ALL" in sc.get("capabilities", {}).get("drop", []), where
            if name in app_names:
                assert sc.get("readOnlyRootFilesystem") is True, where
                mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
                volumes = {v["name"]: v for v in spec.get("volumes", [])}
                assert "/tmp" in mounts, f"{where}: /tmp must be a writable emptyDir"
                assert "emptyDir" in volumes[mounts["/tmp"]], where


def test_one_image_for_every_process(docs):
    images = {c["image"] for wl in app_workloads(docs) for c in all_containers(wl)}
    assert len(images) == 1, f"the services and the migration Job use different images: {images}"


def test_prod_image_is_pinned():
    image = pod_spec(named(render("overlays/prod"), "Deployment", "calls"))["containers"][0][
        "image"
    ]
    repository, _, tag = image.rpartition(":")
    assert "/" in repository, f"prod image {image} should name its registry"
    assert tag and "/" not in tag and tag != "latest", f"prod image {image} needs a fixed tag"


def test_commands_point_at_real_code(docs):
    for name, (config, target) in SERVICES.items():
        container = pod_spec(named(docs, "Deployment", name))["containers"][0]
        assert container["command"] + container.get("args", []) == [
            "nameko",
            "run",
            "--config",
            config,
            target,
        ]
        assert (ROOT / config).is_file(), f"{config} is missing"
        module, cls = target.split(":")
        source = ROOT / (module.replace(".", "/") + ".py")
        assert source.is_file(), f"{source} is missing"
        assert re.search(rf"^class {cls}\b", source.read_text("utf-8"), re.M), target
    job = named(docs, "Job", MIGRATE_JOB)
    assert all_containers(job)[0]["command"] == MIGRATE_COMMAND
    assert (ROOT / MIGRATE_COMMAND[1]).is_file()
    for workload in workloads(docs):
        for container in all_containers(workload):
            argv = container.get("command", []) + container.get("args", [])
            assert "seed" not in argv, "demo data must not be seeded by the manifests"


def test_bind_addresses_match_container_ports(docs):
    configmaps = [
        cm for cm in of_kind(docs, "ConfigMap") if cm["metadata"]["name"].startswith("csc-config")
    ]
    assert len(configmaps) == 1
    data = configmaps[0]["data"]
    for variable, (deployment, port) in BIND_ADDRESSES.items():
        host, _, bound = data[variable].rpartition(":")
        assert host == "0.0.0.0", f"{variable}={data[variable]}: a pod must bind all interfaces"
        assert int(bound) == port, f"{variable}={data[variable]} does not match port {port}"
        containers = pod_spec(named(docs, "Deployment", deployment))["containers"]
        assert container_port(containers, port), f"{deployment} does not declare {port}"


def test_env_references_resolve(docs):
    configmaps = {cm["metadata"]["name"] for cm in of_kind(docs, "ConfigMap")}
    secrets = {
        s["metadata"]["name"]: {**s.get("data", {}), **s.get("stringData", {})}
        for s in of_kind(docs, "Secret")
    }
    template = secret_template()
    for workload in workloads(docs):
        where = f"{workload['kind']}/{workload['metadata']['name']}"
        for name in configmap_refs(workload):
            assert name in configmaps, f"{where} refers to missing ConfigMap {name}"
        for name, key in secret_refs(workload):
            if name in secrets:
                assert key in secrets[name], f"{where}: Secret {name} has no key {key}"
            else:  # provisioned out of band, from the template
                assert name == template["metadata"]["name"], f"{where}: unknown Secret {name}"
                assert key in template["stringData"], f"{where}: template lacks {key}"


# -- network exposure -------------------------------------------------------------------------


def _rules_admitting(docs, deployment: dict, port: int) -> list[dict]:
    """Ingress rules of the policies selecting the deployment's pods that admit ``port``."""
    labels = deployment["spec"]["template"]["metadata"].get("labels", {})
    containers = all_containers(deployment)
    rules = []
    for policy in of_kind(docs, "NetworkPolicy"):
        if not selects(policy["spec"]["podSelector"], labels):
            continue
        for rule in policy["spec"].get("ingress", []):
            ports = rule.get("ports")
            if not ports:
                rules.append(rule)
                continue
            for entry in ports:
                ref = entry.get("port")
                if isinstance(ref, str):
                    found = container_port(containers, ref)
                    if found is None:
                        continue
                    ref = found["containerPort"]
                if ref is None or ref <= port <= entry.get("endPort", ref):
                    rules.append(rule)
                    break
    return rules


def _is_pbx(peer: dict) -> bool:
    if "ipBlock" in peer:  # a PBX outside the cluster: a narrow address range only
        network = ipaddress.ip_network(peer["ipBlock"]["cidr"])
        return network.prefixlen >= (24 if network.version == 4 else 64)
    return any(
        peer.get(key, {}).get("matchLabels") == PBX_LABEL
        for key in ("podSelector", "namespaceSelector")
    ) and set(peer) <= {"podSelector", "namespaceSelector"}


def test_ingress_is_denied_by_default(docs):
    assert any(
        policy["spec"]["podSelector"] == {}
        and "Ingress" in policy["spec"].get("policyTypes", [])
        and not policy["spec"].get("ingress")
        for policy in of_kind(docs, "NetworkPolicy")
    ), "a default-deny ingress NetworkPolicy is required"


def test_fastagi_only_from_pbx(docs):
    calls = named(docs, "Deployment", "calls")
    rules = _rules_admitting(docs, calls, FASTAGI_PORT)
    assert rules, "no NetworkPolicy lets the PBX reach FastAGI"
    for rule in rules:
        peers = rule.get("from")
        assert peers, "FastAGI (no authentication) is open to every source"
        assert all(_is_pbx(peer) for peer in peers), f"FastAGI open to non-PBX peers: {peers}"


def test_metrics_only_from_monitoring(docs):
    for name in set(SERVICES) - {"gateway"}:  # the gateway's /metrics shares the API's port
        rules = _rules_admitting(docs, named(docs, "Deployment", name), METRICS_PORT[name])
        assert rules, f"Prometheus cannot reach {name} metrics"
        for rule in rules:
            assert rule.get("from") == [
                {"namespaceSelector": {"matchLabels": MONITORING_NAMESPACE}}
            ], f"{name} metrics admitted from {rule.get('from')}"


def test_calls_disruption_budget(docs):
    calls = named(docs, "Deployment", "calls")
    labels = calls["spec"]["template"]["metadata"]["labels"]
    budgets = [
        pdb
        for pdb in of_kind(docs, "PodDisruptionBudget")
        if selects(pdb["spec"]["selector"], labels)
    ]
    assert len(budgets) == 1, "calls needs exactly one PodDisruptionBudget"
    spec = budgets[0]["spec"]
    if "minAvailable" in spec:  # must still allow a drain
        assert isinstance(spec["minAvailable"], int)
        assert spec["minAvailable"] < calls["spec"].get("replicas", 1)
    else:
        assert spec.get("maxUnavailable")


def test_every_service_has_a_disruption_budget(docs):
    budgets = of_kind(docs, "PodDisruptionBudget")
    for name in SERVICES:
        labels = named(docs, "Deployment", name)["spec"]["template"]["metadata"]["labels"]
        assert [pdb for pdb in budgets if selects(pdb["spec"]["selector"], labels)], name


def test_prod_autoscales_calls_and_the_gateway():
    docs = render("overlays/prod")
    for hpa in of_kind(docs, "HorizontalPodAutoscaler"):
        target = hpa["spec"]["scaleTargetRef"]
        assert target["kind"] == "Deployment"
        deployment = named(docs, "Deployment", target["name"])
        assert "replicas" not in deployment["spec"], "an apply would fight the autoscaler"
        assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
        container = pod_spec(deployment)["containers"][0]
        assert container["resources"]["requests"]["cpu"], "utilisation needs a CPU request"
    hpas = of_kind(docs, "HorizontalPodAutoscaler")
    assert {hpa["spec"]["scaleTargetRef"]["name"] for hpa in hpas} == AUTOSCALED


def test_prod_stateful_parts_are_the_operators_clusters():
    docs = render("overlays/prod")
    assert not of_kind(docs, "StatefulSet"), "no home-made StatefulSets in production"
    (rabbit,) = of_kind(docs, "RabbitmqCluster")
    assert rabbit["apiVersion"] == "rabbitmq.com/v1beta1" and rabbit["spec"]["replicas"] == 3
    (postgres,) = of_kind(docs, "Cluster")
    assert postgres["apiVersion"] == "postgresql.cnpg.io/v1" and postgres["spec"]["instances"] >= 3
    # every service with a database has it on that cluster: at bootstrap or as a Database
    databases = {postgres["spec"]["bootstrap"]["initdb"]["database"]} | {
        db["spec"]["name"] for db in of_kind(docs, "Database")
        if db["spec"]["cluster"]["name"] == postgres["metadata"]["name"]
    }
    owners = {name for name in SERVICES if (ROOT / "services" / name / "migrations").is_dir()}
    assert owners <= databases


def test_database_urls_use_psycopg2():
    for key, url in secret_template()["stringData"].items():
        if key.endswith("_DB_URL"):
            assert url.startswith("postgresql+psycopg2://"), key

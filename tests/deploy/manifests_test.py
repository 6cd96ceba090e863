#!/usr/bin/env python3
"""Renders deploy/k8s (base, dev, prod) with `kubectl kustomize` and checks
what issue 17 asks of the manifests; exits 77 (skipped) without kubectl."""
import base64
import configparser
import os
import re
import shutil
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    print("SKIP: python3-yaml is missing (scripts/deps.sh test installs it)")
    sys.exit(77)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
K8S = os.path.join(ROOT, "deploy", "k8s")
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
    return ok


def render(path):
    out = subprocess.run(["kubectl", "kustomize", path], check=True,
                         capture_output=True, text=True, timeout=60).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def of_kind(objs, kind):
    return [o for o in objs if o["kind"] == kind]


def pod_specs(objs):
    for o in objs:
        if o["kind"] in ("StatefulSet", "Deployment", "DaemonSet"):
            yield o["metadata"]["name"], o["spec"]["template"]["spec"]


def node_set(objs):
    sets = [o for o in of_kind(objs, "StatefulSet")
            if o["metadata"]["name"] == "h2h"]
    check(len(sets) == 1, "exactly one StatefulSet h2h")
    return sets[0]


def config_file(objs):
    cms = [o for o in of_kind(objs, "ConfigMap")
           if o["metadata"]["name"].startswith("h2h-config")]
    check(len(cms) == 1, "one ConfigMap h2h-config")
    conf = configparser.ConfigParser(interpolation=None)
    conf.read_string(cms[0]["data"]["h2h.conf"])
    return conf


def ops_paths():
    """The paths h2hd serves on the public port for probes."""
    src = open(os.path.join(ROOT, "net", "rest", "ops_routes.cpp")).read()
    return set(re.findall(r'"(/(?:healthz|readyz))"', src))


def check_overlay(name, objs):
    where = name + ": "
    sts = node_set(objs)
    spec = sts["spec"]["template"]["spec"]
    conf = config_file(objs)
    node = [c for c in spec["containers"] if c["name"] == "h2h"][0]
    ports = {p["name"]: p["containerPort"] for p in node["ports"]}
    for port_name, section in (("http", "server"), ("cluster", "cluster"),
                               ("admin", "admin"), ("metrics", "metrics")):
        check(ports.get(port_name) == conf.getint(section, "port"),
              where + f"container port {port_name} = {section}.port")
    check(conf.getboolean("cluster", "enabled"), where + "cluster.enabled")
    check(conf.get("store", "kind") == "mysql", where + "store.kind = mysql")
    # Probes on paths that exist, on the public port.
    served = ops_paths()
    for probe, path in (("readinessProbe", "/readyz"),
                        ("livenessProbe", "/healthz"),
                        ("startupProbe", None)):
        p = node.get(probe)
        if not check(p is not None, where + probe):
            continue
        got = p["httpGet"]["path"]
        check(got in served, where + f"{probe} path {got} is served")
        if path:
            check(got == path, where + f"{probe} on {path}")
        check(p["httpGet"]["port"] in ("http", ports["http"]),
              where + f"{probe} on the public port")
    # Every container of every workload: resources and the security context.
    for wl, ps in pod_specs(objs):
        psc = ps.get("securityContext", {})
        for c in ps.get("containers", []) + ps.get("initContainers", []):
            cw = f"{where}{wl}/{c['name']}: "
            res = c.get("resources", {})
            for part in ("requests", "limits"):
                check({"cpu", "memory"} <= set(res.get(part, {})),
                      cw + f"resources.{part} cpu and memory")
            sc = c.get("securityContext", {})
            check(sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True,
                  cw + "runAsNonRoot")
            uid = sc.get("runAsUser", psc.get("runAsUser"))
            check(isinstance(uid, int) and uid > 0, cw + "numeric non-root uid")
            check(sc.get("readOnlyRootFilesystem") is True,
                  cw + "readOnlyRootFilesystem")
            check(sc.get("allowPrivilegeEscalation") is False,
                  cw + "allowPrivilegeEscalation false")
            check(sc.get("capabilities", {}).get("drop") == ["ALL"],
                  cw + "capabilities drop ALL")
    # Secrets only by reference: no Secret object with values.
    for s in of_kind(objs, "Secret"):
        check(not s.get("data") and not s.get("stringData"),
              where + f"Secret {s['metadata']['name']} carries inline data")
    env = {e["name"]: e for e in node.get("env", [])}
    for var in ("H2H_AUTH_JWT_SECRET", "H2H_STORE_MYSQL_URL"):
        check("secretKeyRef" in env.get(var, {}).get("valueFrom", {}),
              where + f"{var} from a Secret reference")
    check(any(v.get("secret") for v in spec.get("volumes", [])
              if v["name"] == "fcm"), where + "FCM credentials from a Secret")
    check(env.get("H2H_CLUSTER_ADVERTISE_HOST", {}).get("valueFrom", {})
          .get("fieldRef", {}).get("fieldPath") == "status.podIP",
          where + "advertises the pod IP")
    check(env.get("H2H_CLUSTER_NODE_ID", {}).get("valueFrom", {})
          .get("fieldRef", {}).get("fieldPath") == "metadata.name",
          where + "node id = pod name")
    # Services: clients on the public port only; a headless one for the
    # cluster port.
    svcs = {s["metadata"]["name"]: s for s in of_kind(objs, "Service")}
    pub = svcs.get("h2h", {}).get("spec", {})
    check([p["targetPort"] for p in pub.get("ports", [])] == ["http"],
          where + "Service h2h exposes the public port only")
    headless = svcs.get("h2h-cluster", {}).get("spec", {})
    check(headless.get("clusterIP") == "None"
          and [p["port"] for p in headless.get("ports", [])]
          == [conf.getint("cluster", "port")],
          where + "headless Service on the cluster port")
    check(sts["spec"]["serviceName"] == "h2h-cluster",
          where + "StatefulSet governed by the headless Service")
    ann = sts["spec"]["template"]["metadata"].get("annotations", {})
    check(ann.get("prometheus.io/scrape") == "true"
          and ann.get("prometheus.io/port") == str(ports["metrics"]),
          where + "metrics port annotated for Prometheus")
    check(len(of_kind(objs, "PodDisruptionBudget")) == 1, where + "a PDB")
    # preStop + drain window + shutdown timeout fit in the grace period.
    grace = spec["terminationGracePeriodSeconds"]
    cmd = node["lifecycle"]["preStop"]["exec"]["command"]
    pre_stop = float(cmd[-1]) if cmd[0].endswith("sleep") else None
    check(pre_stop is not None, where + "preStop is a sleep")
    drain = conf.getint("server", "drain_window_ms") / 1000
    stop = conf.getint("server", "shutdown_timeout_ms") / 1000
    check(drain > 0, where + "a drain window")
    check((pre_stop or 0) + drain + stop < grace,
          where + f"preStop {pre_stop} s + drain {drain} s + shutdown "
          f"{stop} s < terminationGracePeriodSeconds {grace}")
    return sts, spec


def check_cluster_tls(prod):
    """prod: cluster.tls_* name the three files of Secret h2h-cluster-tls,
    mounted (not optional); deploy/k8s/cluster-tls.sh makes that Secret
    with a certificate its CA signed."""
    spec = node_set(prod)["spec"]["template"]["spec"]
    node = [c for c in spec["containers"] if c["name"] == "h2h"][0]
    env = {e["name"]: e.get("value") for e in node.get("env", [])}
    vols = {v["name"]: v for v in spec.get("volumes", [])}
    mounts = {m["mountPath"]: m["name"] for m in node.get("volumeMounts", [])}
    files = {}
    for var, key in (("H2H_CLUSTER_TLS_CERT", "tls.crt"),
                     ("H2H_CLUSTER_TLS_KEY", "tls.key"),
                     ("H2H_CLUSTER_TLS_CA", "ca.crt")):
        path = env.get(var) or ""
        vol = vols.get(mounts.get(os.path.dirname(path), ""), {})
        secret = vol.get("secret", {})
        check(secret.get("secretName") == "h2h-cluster-tls"
              and not secret.get("optional")
              and os.path.basename(path) == key,
              f"prod: {var} is {key} of Secret h2h-cluster-tls, mounted and "
              f"required (got {path!r})")
        files[key] = path
    if shutil.which("openssl") is None:
        print("note: openssl missing, deploy/k8s/cluster-tls.sh not run")
        return
    with tempfile.TemporaryDirectory() as tmp:
        r = subprocess.run([os.path.join(K8S, "cluster-tls.sh"),
                            os.path.join(tmp, "pki"), "h2h", "30"],
                           capture_output=True, text=True, timeout=120)
        if not check(r.returncode == 0, "cluster-tls.sh runs: " + r.stderr):
            return
        secret = yaml.safe_load(r.stdout)
        check(secret["kind"] == "Secret"
              and secret["metadata"]["name"] == "h2h-cluster-tls"
              and set(secret["data"]) == set(files),
              "cluster-tls.sh prints Secret h2h-cluster-tls with "
              + ", ".join(sorted(files)))
        for key, text in secret["data"].items():
            with open(os.path.join(tmp, key), "wb") as f:
                f.write(base64.b64decode(text))
        v = subprocess.run(["openssl", "verify", "-CAfile",
                            os.path.join(tmp, "ca.crt"),
                            os.path.join(tmp, "tls.crt")],
                           capture_output=True, text=True, timeout=60)
        check(v.returncode == 0, "the Secret's tls.crt passes against its "
              "ca.crt: " + v.stdout + v.stderr)


def main():
    if shutil.which("kubectl") is None:
        print("SKIP: kubectl is missing (scripts/deps.sh test installs it)")
        return 77
    rendered = {}
    for name, path in (("base", "base"), ("dev", "overlays/dev"),
                       ("prod", "overlays/prod")):
        rendered[name] = render(os.path.join(K8S, path))
        check_overlay(name, rendered[name])
    # dev: one node, bundled MariaDB and Redis with PVCs, started first.
    dev = rendered["dev"]
    check(node_set(dev)["spec"]["replicas"] == 1, "dev: 1 replica")
    waves = {}
    for o in dev:
        waves[(o["kind"], o["metadata"]["name"])] = int(
            o["metadata"].get("annotations", {})
            .get("argocd.argoproj.io/sync-wave", "0"))
    for store in ("h2h-mariadb", "h2h-redis"):
        sts = [o for o in of_kind(dev, "StatefulSet")
               if o["metadata"]["name"] == store]
        if check(len(sts) == 1, f"dev: StatefulSet {store}"):
            check(sts[0]["spec"].get("volumeClaimTemplates"),
                  f"dev: {store} has its own PVC")
            check(waves[("StatefulSet", store)]
                  < waves[("StatefulSet", "h2h")],
                  f"dev: {store} syncs before the nodes")
    # prod: 3+ replicas, anti-affinity over machines and zones, HPA on CPU,
    # external stores.
    prod = rendered["prod"]
    sts = node_set(prod)
    check(sts["spec"]["replicas"] >= 3, "prod: at least 3 replicas")
    anti = sts["spec"]["template"]["spec"].get("affinity", {}) \
        .get("podAntiAffinity", {})
    keys = {t["topologyKey"] for t in
            anti.get("requiredDuringSchedulingIgnoredDuringExecution", [])}
    keys |= {t["podAffinityTerm"]["topologyKey"] for t in
             anti.get("preferredDuringSchedulingIgnoredDuringExecution", [])}
    check({"kubernetes.io/hostname", "topology.kubernetes.io/zone"} <= keys,
          "prod: anti-affinity across nodes and zones")
    hpas = of_kind(prod, "HorizontalPodAutoscaler")
    if check(len(hpas) == 1, "prod: an HPA"):
        h = hpas[0]["spec"]
        check(h["scaleTargetRef"]["kind"] == "StatefulSet"
              and h["scaleTargetRef"]["name"] == "h2h",
              "prod: HPA scales the nodes")
        check(h["minReplicas"] >= 3, "prod: HPA keeps 3+")
        check(any(m["resource"]["name"] == "cpu" for m in h["metrics"]),
              "prod: HPA on CPU")
    check(not any(o["metadata"]["name"] in ("h2h-mariadb", "h2h-redis")
                  for o in of_kind(prod, "StatefulSet")),
          "prod: no bundled stores")
    check_cluster_tls(prod)
    # h2hd accepts the ConfigMap's file with the pod's environment.
    h2hd = os.environ.get("H2HD")
    if h2hd:
        env = dict(os.environ,
                   H2H_AUTH_JWT_SECRET="x" * 48,
                   H2H_STORE_MYSQL_URL="mysql://h2h:pw@h2h-mysql:3306/h2h",
                   H2H_CLUSTER_NODE_ID="h2h-0",
                   H2H_CLUSTER_ADVERTISE_HOST="10.0.0.7")
        r = subprocess.run([h2hd, "--check-config", "--config",
                            os.path.join(K8S, "base", "h2h.conf")],
                           env=env, capture_output=True, text=True, timeout=60)
        check(r.returncode == 0,
              "h2hd --check-config accepts base/h2h.conf: " + r.stderr[-500:])
    else:
        print("note: H2HD unset, the config file is not checked by h2hd")
    # The Argo CD Application points at an overlay that exists.
    app = yaml.safe_load(open(os.path.join(ROOT, "deploy", "argocd",
                                           "application.yaml")))
    check(app["kind"] == "Application", "argocd: an Application")
    src = app["spec"]["source"]["path"]
    check(os.path.isfile(os.path.join(ROOT, src, "kustomization.yaml")),
          f"argocd: path {src} is an overlay of this repository")
    check(src == "deploy/k8s/overlays/prod", "argocd: the prod overlay")
    auto = app["spec"].get("syncPolicy", {}).get("automated", {})
    check(auto.get("prune") is True and auto.get("selfHeal") is True,
          "argocd: automated sync with prune and self-heal")
    for f in failures:
        print("FAIL:", f)
    print(f"{len(failures)} failure(s) in base, dev, prod and argocd")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

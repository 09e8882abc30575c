# Installs the tools the tests and the demo need, only when missing.
# Sourced by scripts/test.sh and scripts/demo.sh.

apt_updated=0
apt_install() {
    # apt_install <command-to-check> <package>...
    local probe=$1
    shift
    if command -v "$probe" >/dev/null 2>&1; then
        return 0
    fi
    echo "==> installing $* (missing $probe)"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    if [ "$apt_updated" -eq 0 ]; then
        $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -o DPkg::Lock::Timeout=600 -y -qq "$@" >/dev/null
}

# Tools built from crates.io live inside the repository (target/tools), so
# nothing is cached outside it.
cargo_tool() {
    # cargo_tool <binary> <crate@version> [cargo install flags...]
    local bin=$1 crate=$2
    shift 2
    if [ -x "target/tools/bin/$bin" ]; then
        return 0
    fi
    echo "==> installing $crate into target/tools (missing $bin)"
    CARGO_TARGET_DIR=target/tools-build cargo install --quiet --locked \
        --root target/tools "$crate" "$@"
    rm -rf target/tools-build
}

# Python packages the cross-checks use live in a venv inside the repository
# (target/venv), so nothing is installed outside it. Run its interpreter as
# target/venv/bin/python.
python_venv() {
    # python_venv <package==version>...
    local venv=target/venv spec missing=()
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    for spec in "$@"; do
        "$venv/bin/python" -m pip show -q "${spec%%==*}" >/dev/null 2>&1 || missing+=("$spec")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "==> installing ${missing[*]} into $venv"
        "$venv/bin/python" -m pip install -q --disable-pip-version-check "${missing[@]}"
    fi
}

install_test_tools() {
    apt_install redis-server redis-server
    apt_install mosquitto mosquitto mosquitto-clients
    apt_install socat socat
    apt_install openssl openssl
    # Network namespaces for the network-cut test; curl for the scripts.
    apt_install ip iproute2
    apt_install curl curl
    # An independent decoder the simulator's output is cross-checked with.
    apt_install dump1090-mutability dump1090-mutability
    # A local S3-compatible server for the backup and restore tests.
    cargo_tool s3s-fs s3s-fs@0.14.1 --features binary
    # An independent decoder (pyModeS) the decoder's output is checked
    # against; pyarrow and DuckDB (with httpfs) read the Parquet archive.
    python_venv pymodes==3.6.1 pyarrow==22.0.0 duckdb==1.4.4 \
        duckdb-extensions==1.4.4 duckdb-extension-httpfs==1.4.4
}

#!/usr/bin/env bash
# Installs the CloudRadar agent as a systemd service on a Raspberry Pi or
# any Linux host: an unprivileged `cloudradar` user, the binary in
# /usr/local/bin, the config in /etc/cloudradar/agent.toml (kept if present),
# state in /var/lib/cloudradar-agent.
# Usage: sudo deploy/agent/install.sh path/to/cloudradar-agent
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-target/release/cloudradar-agent}
if [ "$(id -u)" -ne 0 ]; then
    echo "run as root (sudo)" >&2
    exit 1
fi
if [ ! -x "$bin" ]; then
    echo "no agent binary at $bin (build it with: cargo build --release -p cloudradar-agent)" >&2
    exit 1
fi
id cloudradar >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin cloudradar
install -m 0755 "$bin" /usr/local/bin/cloudradar-agent
install -d -m 0755 /etc/cloudradar
if [ ! -e /etc/cloudradar/agent.toml ]; then
    install -m 0640 -g cloudradar "$here/agent.toml" /etc/cloudradar/agent.toml
    echo "edit /etc/cloudradar/agent.toml (inputs, mqtt_url, credentials), then: systemctl restart cloudradar-agent"
fi
/usr/local/bin/cloudradar-agent --config /etc/cloudradar/agent.toml --check-config >/dev/null
install -m 0644 "$here/cloudradar-agent.service" /etc/systemd/system/cloudradar-agent.service
systemctl daemon-reload
systemctl enable --now cloudradar-agent
systemctl --no-pager status cloudradar-agent || true

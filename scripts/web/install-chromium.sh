#!/usr/bin/env bash
# Installs Debian's chromium for the dashboard browser test when
# /usr/bin/chromium is missing (playwright-core drives it; its own browser
# download is not used). Needs root (or sudo) and the apt registry.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    echo "chromium present: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# Wait for other apt users rather than failing on the dpkg lock.
$sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
$sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends chromium
/usr/bin/chromium --version

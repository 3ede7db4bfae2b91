#!/usr/bin/env bash
# Installs the Debian packages the real-VS-Code integration suite needs, when missing (idempotent, quiet):
#   chromium    - headless browser that drives code-server's workbench (through playwright-core)
#   ripgrep     - replaces @vscode/ripgrep's GitHub download inside code-server's install
#   libkrb5-dev - headers for code-server's `kerberos` native module
set -euo pipefail
need=()
for pkg in chromium ripgrep libkrb5-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
echo "install-system-deps: installing ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

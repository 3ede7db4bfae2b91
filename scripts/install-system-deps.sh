#!/usr/bin/env bash
# The Debian packages some test layers need, installed when missing (idempotent, quiet):
#   chromium    - headless browser that drives code-server's workbench (real-VS-Code layer, through playwright-core)
#   ripgrep     - replaces @vscode/ripgrep's GitHub download inside code-server's install
#   libkrb5-dev - headers for code-server's `kerberos` native module
#   python3-requests python3-dkim python3-patatt git-filter-repo - what b4 needs to run (b4 end-to-end test)
# As root (or with password-less sudo) it installs them with apt-get; otherwise it prints the one command to run and
# exits 3.
set -euo pipefail
PACKAGES=(chromium ripgrep libkrb5-dev python3-requests python3-dkim python3-patatt git-filter-repo)
if ! command -v dpkg >/dev/null; then
  echo "install-system-deps: not a Debian system; install the equivalents of: ${PACKAGES[*]}" >&2
  exit 3
fi
need=()
for pkg in "${PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -eq 0 ]; then
  SUDO=
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  SUDO=sudo
else
  echo "install-system-deps: missing Debian packages; run: sudo apt-get install ${need[*]}" >&2
  exit 3
fi
echo "install-system-deps: installing ${need[*]} (apt-get)"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

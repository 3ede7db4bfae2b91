#!/usr/bin/env bash
# Installs a real VS Code (code-server's bundled VS Code 1.100.3) for the integration suite, from the npm registry
# only, into a git-ignored folder. Idempotent. Usage: install-code-server.sh [DEST]
# Needs the Debian packages of scripts/install-system-deps.sh (ripgrep, libkrb5-dev; chromium to run the tests).
set -euo pipefail
CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.100.3}"   # = VS Code 1.100.3; last code-server line whose engines.node is 20
RIPGREP_PKG_VERSION="1.15.11"                            # @vscode/ripgrep pinned in code-server 4.100.3's lib/vscode
RIPGREP_ASSET="ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="${1:-$ROOT/.vscode-test/code-server-$CODE_SERVER_VERSION}"

if [ -x "$DEST/node_modules/.bin/code-server" ] && [ -f "$DEST/.installed" ]; then exit 0; fi
command -v rg >/dev/null || { echo "install-code-server: ripgrep missing: run scripts/install-system-deps.sh (apt-get install ripgrep libkrb5-dev chromium)" >&2; exit 3; }

# @vscode/ripgrep looks in $TMPDIR/vscode-ripgrep-cache-<version>/<asset> before downloading from GitHub.
tmp="${TMPDIR:-/tmp}"; cache="$tmp/vscode-ripgrep-cache-$RIPGREP_PKG_VERSION"
if [ ! -f "$cache/$RIPGREP_ASSET" ]; then
  mkdir -p "$cache"; d="$(mktemp -d)"; cp "$(command -v rg)" "$d/rg"
  tar czf "$cache/$RIPGREP_ASSET" -C "$d" rg; rm -rf "$d"
fi

echo "install-code-server: installing code-server@$CODE_SERVER_VERSION into $DEST (takes 1-2 minutes)"
mkdir -p "$DEST"
[ -f "$DEST/package.json" ] || echo '{"name":"vscode-test-runtime","private":true}' > "$DEST/package.json"
# unsafe_perm: code-server's postinstall refuses to run as root without it.
# yes: node-pty's post-install runs `npx node-gyp`, which npx cancels when it may not prompt.
( cd "$DEST" && npm_config_unsafe_perm=true npm_config_yes=true \
    npm install --no-audit --no-fund --no-save --loglevel=error "code-server@$CODE_SERVER_VERSION" >/dev/null )
"$DEST/node_modules/.bin/code-server" --version >/dev/null
touch "$DEST/.installed"

#!/usr/bin/env bash
# Install the Debian packages AskMe needs when they are missing (as root), or say which are.
# Usage: bin/system-deps.sh run|test|cluster
set -euo pipefail
# gettext: msgfmt, which `manage.py compilemessages` runs on the ru catalog (make up, tests).
run_pkgs=(nginx libnginx-mod-nchan cron gettext)
# `make cluster` (two nodes on one machine): shared PostgreSQL, memcached and Redis (Nchan's).
cluster_pkgs=("${run_pkgs[@]}" postgresql memcached redis-server)
test_pkgs=("${cluster_pkgs[@]}" chromium)
case "${1:-run}" in
  run) wanted=("${run_pkgs[@]}") ;;
  test) wanted=("${test_pkgs[@]}") ;;
  cluster) wanted=("${cluster_pkgs[@]}") ;;
  *) echo "usage: $0 run|test|cluster" >&2; exit 2 ;;
esac
[ -n "${ASKME_EXTRA_APT:-}" ] && read -r -a extra <<<"$ASKME_EXTRA_APT" && wanted+=("${extra[@]}")

# memcached when the site is told to use a memcached cache.
case "${CACHE_URL:-}" in pymemcache://* | memcached://*) wanted+=(memcached) ;; esac
# Toolchain pieces only when their command is missing (the machine may bring its own Node/Python).
command -v npm >/dev/null 2>&1 || wanted+=(nodejs npm)
command -v curl >/dev/null 2>&1 || wanted+=(curl)
python3 -c "import ensurepip, venv" >/dev/null 2>&1 || wanted+=(python3-venv)

missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Debian's postgresql, nginx and redis-server packages start system services; we run our own
# under var/.
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

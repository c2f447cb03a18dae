# Shared helpers for the setup scripts. Each install step checks first and skips what is there, so
# running a script twice does nothing the second time.

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# Runs a command as root: directly when we are root (CI, containers), through sudo otherwise.
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=""
# Installs Debian packages that are missing; `apt-get update` runs at most once per script.
apt_install() {
  missing=""
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
  done
  [ -z "$missing" ] && return 0
  if [ -z "$apt_updated" ]; then
    say "apt-get update"
    as_root apt-get update -qq
    apt_updated=1
  fi
  say "apt-get install$missing"
  # shellcheck disable=SC2086
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
}

# The wasm-bindgen version Cargo.lock resolved; the CLI must be exactly this version.
locked_wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

# The official commune list (npm package @etalab/decoupage-administratif): installs the npm
# packages when it is missing or older than package-lock.json, then prints its directory.
commune_data() {
  data=node_modules/@etalab/decoupage-administratif/data
  if [ ! -f "$data/communes.json" ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "npm ci (the commune referential)" >&2
    npm ci --no-audit --no-fund >&2
  fi
  echo "$data"
}

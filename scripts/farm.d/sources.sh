# shellcheck shell=bash
# Step 7 of `scripts/farm up`: a CPython source mirror on loopback, laid out like python.org's
# https://www.python.org/ftp/python/<X.Y.Z>/Python-<X.Y.Z>.tar.xz, filled with the upstream
# tarballs Debian keeps as its source packages' .orig tarballs (fetched with `apt-get source`,
# so apt checks them against the signed Sources index), sha256 recorded in SHA256SUMS and
# index.json. Served by python3's http.server, started and stopped by PID file.

# 3.13.5's upstream checksum, as python.org publishes it: a wrong tarball must never be served.
KNOWN_SHA256_3_13_5=93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640

fetch_python_source() { # fetch_python_source SUITE SRCPKG -> fills ftp/python/<version>/
  local suite=$1 pkg=$2 root="$FARM_DIR/sources/ftp/python" orig version ext name
  local have
  # Already mirrored (index entry + file present)? Then nothing to fetch.
  have=$(python3 -c 'import json,sys
try: d=json.load(open(sys.argv[1]))
except OSError: d={}
print(" ".join(k for k,v in d.items() if v.get("source_package")==sys.argv[2]))' \
    "$FARM_DIR/sources/index.json" "$pkg")
  if [ -n "$have" ] && [ -f "$root/$have/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]]["file"])' "$FARM_DIR/sources/index.json" "$have")" ]; then
    say "$pkg: $have already mirrored"
    return 0
  fi
  papt_update
  local work="$FARM_DIR/apt/src/$pkg"
  rm -rf "$work" && mkdir -p "$work"
  (cd "$work" && papt source --download-only "$pkg/$suite")
  orig=$(ls "$work"/"${pkg}"_*.orig.tar.* | grep -v '\.asc$' | head -n1)
  version=$(basename "$orig" | sed -E "s/^${pkg}_([^.]+\.[^.]+\.[^.]+[^.]*)\.orig\.tar\..*$/\1/")
  version=${version%%+*}
  case $orig in
    *.tar.xz) ext=tar.xz ;;
    *.tar.gz) ext=tgz ;; # python.org names its gzip tarballs .tgz
    *) echo "unexpected orig tarball $orig" >&2; return 1 ;;
  esac
  name="Python-$version.$ext"
  mkdir -p "$root/$version"
  cp "$orig" "$root/$version/$name.tmp"
  [ ! -f "$orig.asc" ] || cp "$orig.asc" "$root/$version/$name.asc"
  local sum
  sum=$(sha256sum "$root/$version/$name.tmp" | cut -c1-64)
  if [ "$version" = 3.13.5 ] && [ "$sum" != "$KNOWN_SHA256_3_13_5" ]; then
    echo "Python 3.13.5 from $orig has sha256 $sum, expected $KNOWN_SHA256_3_13_5" >&2
    rm -f "$root/$version/$name.tmp"
    return 1
  fi
  mv "$root/$version/$name.tmp" "$root/$version/$name"
  (cd "$root/$version" && sha256sum "$name" >"$name.sha256")
  python3 - "$FARM_DIR/sources/index.json" "$version" "$name" "$sum" "$pkg" "$(basename "$orig")" <<'EOF'
import json, os, sys
path, version, name, sha, pkg, orig = sys.argv[1:]
try:
    data = json.load(open(path))
except OSError:
    data = {}
data[version] = {"file": name, "sha256": sha, "path": f"ftp/python/{version}/{name}",
                 "source_package": pkg, "debian_orig": orig}
open(path + ".tmp", "w").write(json.dumps(data, indent=2, sort_keys=True) + "\n")
os.replace(path + ".tmp", path)
EOF
  rm -rf "$work"
  say "mirrored Python $version ($name, sha256 $sum)"
}

step_sources() {
  mkdir -p "$FARM_DIR/sources/ftp/python"
  [ -s "$FARM_DIR/sources/index.json" ] || echo '{}' >"$FARM_DIR/sources/index.json"
  lock sources
  local spec
  for spec in $PY_SOURCES; do
    fetch_python_source "${spec%%:*}" "${spec#*:}"
  done
  # SHA256SUMS over the whole tree, like a release directory listing would give.
  (cd "$FARM_DIR/sources" && find ftp -type f \( -name '*.tar.xz' -o -name '*.tgz' \) | sort |
    xargs -r sha256sum >SHA256SUMS)
  local url="http://127.0.0.1:$SOURCES_PORT" pid how
  if pid=$(pid_of sources python3); then
    how="running, pid $pid"
  else
    if curl -s -o /dev/null "$url/"; then
      detail "127.0.0.1:$SOURCES_PORT is taken by a process this farm did not start"
      unlock
      return 1
    fi
    start_bg sources "$FARM_DIR/logs/sources.log" \
      python3 -m http.server --bind 127.0.0.1 --directory "$FARM_DIR/sources" "$SOURCES_PORT"
    wait_for 20 curl -sf "$url/SHA256SUMS" || { detail "source mirror did not answer"; unlock; return 1; }
    pid=$(pid_of sources python3)
    how="started, pid $pid"
  fi
  unlock
  # Prove it serves what it claims: download 3.13.5 over HTTP and check its sha256.
  local got
  if grep -q 'trixie:python3.13' <<<"$PY_SOURCES"; then
    got=$(curl -sf "$url/ftp/python/3.13.5/Python-3.13.5.tar.xz" | sha256sum | cut -c1-64)
    [ "$got" = "$KNOWN_SHA256_3_13_5" ] || { detail "served 3.13.5 has sha256 $got"; return 1; }
  fi
  state sources url="$url" download_base="$url/ftp/python" root="$FARM_DIR/sources" \
    files="$(cat "$FARM_DIR/sources/index.json")" log="$FARM_DIR/logs/sources.log"
  detail "$url/ftp/python ($how): $(python3 -c 'import json,sys; print(", ".join(sorted(json.load(open(sys.argv[1])))))' "$FARM_DIR/sources/index.json")"
}

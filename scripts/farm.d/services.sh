# shellcheck shell=bash
# Steps 1-5 of `scripts/farm up`: engine, buildx, qemu, registry (+ auth registry), Hub mirror.
# Each step is idempotent: what already runs is checked and reused, never restarted.

engine_answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# 1. Docker Engine (Debian docker.io), in the background, own log, reused if already running.
step_engine() {
  apt_install docker.io
  local pid how
  if engine_answers; then
    if pid=$(pid_of dockerd dockerd); then how="running, started by farm, pid $pid"
    else how="reused: already running, not started by this farm"; fi
  else
    # Configure the Hub mirror before the first start, so that step 5 needs no restart.
    flib daemon-json /etc/docker/daemon.json "http://127.0.0.1:$REGISTRY_PORT"
    say "starting dockerd (log $FARM_DIR/logs/dockerd.log)"
    # dockerd writes its own PID file; setsid+nohup detach it from this script's session.
    detach "$FARM_DIR/logs/dockerd.log" dockerd --pidfile "$FARM_DIR/run/dockerd.pid" >/dev/null
    if ! wait_for 90 engine_answers; then
      detail "dockerd did not answer within 90 s; see $FARM_DIR/logs/dockerd.log"
      tail -n 30 "$FARM_DIR/logs/dockerd.log"
      return 1
    fi
    pid=$(pid_of dockerd dockerd) || pid="?"
    how="started, pid $pid"
  fi
  local version
  version=$(docker version --format '{{.Server.Version}}')
  state engine version="$version" socket=/var/run/docker.sock \
    client_version="$(docker version --format '{{.Client.Version}}')" \
    started_by_farm="$([ -n "${pid:-}" ] && [ "${pid:-}" != "?" ] && echo true || echo false)"
  detail "Docker $version, $how"
}

# 2. buildx from trixie's docker-buildx, through the private apt dir; installed as CLI plugin.
step_buildx() {
  if ! docker buildx version >/dev/null 2>&1; then
    papt_update
    (cd "$FARM_DIR/apt/debs" && papt download docker-buildx)
    local deb
    deb=$(ls -t "$FARM_DIR"/apt/debs/docker-buildx_*.deb | head -n1)
    say "installing $deb (CLI plugin)"
    dpkg -i "$deb"
  fi
  local version
  version=$(docker buildx version)
  echo "$version"
  state buildx version="$version" plugin="$(command -v docker-buildx || echo /usr/libexec/docker/cli-plugins/docker-buildx)"
  detail "$version"
}

# The busybox of Debian's busybox-static for one architecture, as a local image. Cheap (a
# download and a scratch image), so it is what proves emulation and what the small test image
# families build on.
busybox_image() { # busybox_image BASHBREW_ARCH -> local image tag
  local arch=$1 deb_arch oci ctx deb
  deb_arch=$(flib arch "$arch" deb)
  oci=$(flib arch "$arch" oci)
  ctx="$FARM_DIR/busybox/$arch"
  if [ ! -x "$ctx/busybox" ]; then
    papt_update >&2
    mkdir -p "$ctx" "$FARM_DIR/apt/debs/$deb_arch"
    (cd "$FARM_DIR/apt/debs/$deb_arch" && papt download "busybox-static:$deb_arch/bookworm") >&2
    deb=$(ls -t "$FARM_DIR/apt/debs/$deb_arch"/busybox-static_*.deb | head -n1)
    rm -rf "$ctx/x" && dpkg-deb -x "$deb" "$ctx/x"
    if [ -x "$ctx/x/bin/busybox" ]; then cp "$ctx/x/bin/busybox" "$ctx/busybox"
    else cp "$ctx/x/usr/bin/busybox" "$ctx/busybox"; fi
    basename "$deb" >"$ctx/SOURCE"
    rm -rf "$ctx/x"
  fi
  cp "$FARM_D/Dockerfile.busybox" "$ctx/Dockerfile"
  local image="$REGISTRY/$arch/busybox:latest" key
  key=$(cat "$ctx/busybox" "$ctx/Dockerfile" | sha256sum | cut -c1-64)
  # Rebuilt only when the binary or the Dockerfile changed, or the engine lost the image.
  if [ "$(cat "$ctx/built" 2>/dev/null)" != "$key $(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null)" ]; then
    docker buildx build --quiet --platform "$oci" --load -t "$image" "$ctx" >&2
    echo "$key $(docker image inspect -f '{{.Id}}' "$image")" >"$ctx/built"
  fi
  echo "$image"
}

# Run the image and check what the kernel/qemu runs: uname -m and the ELF header of the running
# binary (class and machine), which is the only honest proof for linux/386 on x86-64.
check_arch_runs() { # check_arch_runs BASHBREW_ARCH IMAGE
  local arch=$1 image=$2 oci want_uname want_class want_machine got bytes class data machine
  oci=$(flib arch "$arch" oci)
  want_uname=$(flib arch "$arch" uname)
  want_class=$(flib arch "$arch" elf_class)
  want_machine=$(flib arch "$arch" elf_machine)
  local out
  out=$(docker run --rm --platform "$oci" "$image" sh -c 'uname -m; od -An -tu1 -N20 /proc/self/exe')
  got=$(head -n1 <<<"$out")
  bytes=($(tail -n +2 <<<"$out"))
  class=${bytes[4]}; data=${bytes[5]}
  if [ "$data" = 1 ]; then machine=$((bytes[18] + 256 * bytes[19]))
  else machine=$((256 * bytes[18] + bytes[19])); fi
  say "$oci: uname -m=$got elf class=$class machine=$machine"
  [ "$got" = "$want_uname" ] && [ "$class" = "$want_class" ] && [ "$machine" = "$want_machine" ] || {
    echo "$oci: expected uname $want_uname class $want_class machine $want_machine" >&2
    return 1
  }
  echo "$got"
}

# 3. qemu user emulation: binfmt_misc, qemu-user-static, buildx platforms, a real run of each.
step_qemu() {
  apt_install qemu-user-static binfmt-support
  if ! mountpoint -q /proc/sys/fs/binfmt_misc; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  fi
  local f
  for f in qemu-aarch64 qemu-arm qemu-ppc64le qemu-s390x; do
    if ! grep -qx enabled "/proc/sys/fs/binfmt_misc/$f" 2>/dev/null; then
      update-binfmts --enable "$f"
    fi
  done
  local ls p missing=()
  ls=$(docker buildx ls)
  echo "$ls"
  for p in $QEMU_PLATFORMS; do
    grep -q "$p\b" <<<"$ls" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    detail "docker buildx ls lacks ${missing[*]}"
    return 1
  fi
  local arch image ran=() platforms=()
  for arch in amd64 i386 arm64v8 arm32v7 ppc64le s390x; do
    image=$(busybox_image "$arch")
    check_arch_runs "$arch" "$image" >/dev/null
    ran+=("$(flib arch "$arch" oci)")
  done
  platforms=($(grep -o 'linux/[a-z0-9/]*' <<<"$ls" | sort -u))
  state qemu platforms="$(printf '%s\n' "${platforms[@]}" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read().split()))')" \
    verified_runs="$(printf '%s\n' "${ran[@]}" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read().split()))')" \
    qemu_version="$(dpkg-query -W -f='${Version}' qemu-user-static)"
  detail "ran uname -m on ${ran[*]}"
}

write_if_changed() { # write_if_changed PATH < content ; returns 0 if it changed
  local path=$1 tmp
  tmp=$(mktemp "$path.XXXX")
  cat >"$tmp"
  if cmp -s "$tmp" "$path"; then rm -f "$tmp"; return 1; fi
  mv "$tmp" "$path"
}

# Start (or reuse) one registry instance: NAME PORT CONFIG CHECK-URL [CURL-ARGS...]
run_registry() {
  local name=$1 port=$2 config=$3 url=$4 changed=$5; shift 5
  local pid code
  code=$(curl -s -o /dev/null -w '%{http_code}' "$@" "$url" || true)
  if pid=$(pid_of "$name" docker-registry); then
    if [ "$changed" = 1 ]; then
      say "$name: config changed, restarting our instance (pid $pid)"
      stop_pid "$name" docker-registry >/dev/null
    elif [ "$code" = 200 ] || [ "$code" = 401 ]; then
      REG_HOW="running, pid $pid"; return 0
    fi
  elif [ "$code" = 200 ] || [ "$code" = 401 ]; then
    echo "port $port already answers and is not this farm's registry" >&2
    detail "127.0.0.1:$port is taken by a process this farm did not start"
    return 1
  fi
  start_bg "$name" "$FARM_DIR/logs/$name.log" docker-registry serve "$config"
  wait_for 30 bash -c "c=\$(curl -s -o /dev/null -w '%{http_code}' $* $url); [ \"\$c\" = 200 ] || [ \"\$c\" = 401 ]" || {
    tail -n 20 "$FARM_DIR/logs/$name.log"
    detail "$name did not answer on $url"
    return 1
  }
  REG_HOW="started, pid $(pid_of "$name")"
}

# 4. The local registry on 127.0.0.1 only (plain HTTP), plus an htpasswd + TLS instance.
step_registry() {
  apt_install docker-registry apache2-utils openssl curl
  local dir="$FARM_DIR/registry" changed=0 version
  mkdir -p "$dir/data"
  # Foreign (Windows base) layers are referenced by URL: allow such manifests to be pushed.
  write_if_changed "$dir/config.yml" <<EOF && changed=1
# written by scripts/farm: the farm's plain-HTTP registry, loopback only
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: 127.0.0.1:$REGISTRY_PORT
  headers:
    X-Content-Type-Options: [nosniff]
validation:
  manifests:
    urls:
      allow:
        - '^https?://'
EOF
  run_registry registry "$REGISTRY_PORT" "$dir/config.yml" "http://127.0.0.1:$REGISTRY_PORT/v2/" "$changed"
  local how=$REG_HOW
  version=$(docker-registry --version 2>/dev/null | awk '{print $NF}' || true)
  [ -n "$version" ] || version=$(dpkg-query -W -f='${Version}' docker-registry)
  state registry url="http://127.0.0.1:$REGISTRY_PORT" address="$REGISTRY" \
    version="$version" config="$dir/config.yml" storage="$dir/data" log="$FARM_DIR/logs/registry.log"

  # The auth instance: a CA made here, a server certificate for localhost/127.0.0.1, htpasswd.
  local adir="$FARM_DIR/auth-registry"
  mkdir -p "$adir/data"
  if [ ! -s "$adir/ca.crt" ] || [ ! -s "$adir/server.crt" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=orchestrate farm CA" \
      -keyout "$adir/ca.key" -out "$adir/ca.crt"
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
      -keyout "$adir/server.key" -out "$adir/server.csr"
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >"$adir/ext.cnf"
    openssl x509 -req -in "$adir/server.csr" -CA "$adir/ca.crt" -CAkey "$adir/ca.key" \
      -CAcreateserial -days 3650 -extfile "$adir/ext.cnf" -out "$adir/server.crt"
  fi
  if [ ! -s "$adir/password" ]; then
    openssl rand -hex 16 >"$adir/password"
    chmod 600 "$adir/password"
  fi
  if [ ! -s "$adir/htpasswd" ]; then
    htpasswd -Bbn farm "$(cat "$adir/password")" >"$adir/htpasswd"
  fi
  changed=0
  write_if_changed "$adir/config.yml" <<EOF && changed=1
# written by scripts/farm: the farm's registry with htpasswd auth and TLS, loopback only
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $adir/data
  delete:
    enabled: true
auth:
  htpasswd:
    realm: orchestrate-farm
    path: $adir/htpasswd
http:
  addr: 127.0.0.1:$AUTH_PORT
  tls:
    certificate: $adir/server.crt
    key: $adir/server.key
validation:
  manifests:
    urls:
      allow:
        - '^https?://'
EOF
  run_registry auth-registry "$AUTH_PORT" "$adir/config.yml" "https://localhost:$AUTH_PORT/v2/" "$changed" \
    --cacert "$adir/ca.crt"
  # Let the engine (and its BuildKit) trust the farm's CA for this registry only.
  mkdir -p "/etc/docker/certs.d/localhost:$AUTH_PORT"
  cmp -s "$adir/ca.crt" "/etc/docker/certs.d/localhost:$AUTH_PORT/ca.crt" ||
    cp "$adir/ca.crt" "/etc/docker/certs.d/localhost:$AUTH_PORT/ca.crt"
  state auth_registry url="https://localhost:$AUTH_PORT" address="localhost:$AUTH_PORT" \
    username=farm password_file="$adir/password" ca="$adir/ca.crt" version="$version"
  detail "$REGISTRY ($how), auth+TLS localhost:$AUTH_PORT ($REG_HOW), distribution $version"
}

# 5. The engine's Docker Hub mirror is the farm registry, so FROM debian:… resolves locally.
step_mirror() {
  local want="http://127.0.0.1:$REGISTRY_PORT/" mirrors pid
  mirrors=$(docker info --format '{{json .RegistryConfig.Mirrors}}')
  if grep -qF "\"$want\"" <<<"$mirrors"; then
    state mirror url="$want" active=true daemon_json=/etc/docker/daemon.json
    detail "engine mirrors $want"
    return 0
  fi
  if pid=$(pid_of dockerd dockerd); then
    # Only an engine this farm started is restarted, and only to apply the mirror.
    flib daemon-json /etc/docker/daemon.json "${want%/}"
    say "restarting our dockerd (pid $pid) to apply registry-mirrors"
    stop_pid dockerd dockerd >/dev/null
    detach "$FARM_DIR/logs/dockerd.log" dockerd --pidfile "$FARM_DIR/run/dockerd.pid" >/dev/null
    wait_for 90 engine_answers || { detail "dockerd did not come back"; return 1; }
    mirrors=$(docker info --format '{{json .RegistryConfig.Mirrors}}')
    grep -qF "\"$want\"" <<<"$mirrors" || { detail "mirror still missing: $mirrors"; return 1; }
    state mirror url="$want" active=true daemon_json=/etc/docker/daemon.json
    detail "engine mirrors $want (engine restarted)"
    return 0
  fi
  state mirror url="$want" active=false engine_mirrors="$mirrors"
  detail "the running engine was not started by this farm and mirrors $mirrors; left alone"
  return 10
}

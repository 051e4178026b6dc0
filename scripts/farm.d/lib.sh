# shellcheck shell=bash
# Shared helpers of scripts/farm: settings, step reporting, PID files, the private apt dir.
# Sourced, never run.

FARMLIB="$FARM_D/farmlib.py"

flib() { python3 "$FARMLIB" "$@"; }

# ---- settings (environment, overridable; --profile picks the defaults) -----------------------
farm_settings() {
  FARM_DIR=${ORCHESTRATE_FARM_DIR:-/var/lib/orchestrate-farm}
  PROFILE=${ORCHESTRATE_FARM_PROFILE:-${PROFILE:-full}}
  case "$PROFILE" in
    full)
      # What the README's main job needs: slim-bookworm for every architecture (the foreign ones
      # cross-built: their compile stage runs on buildpack-deps for amd64), nothing more.
      def_bookworm="amd64 i386 arm64v8 arm32v7 arm32v5 ppc64le s390x"
      def_trixie=""
      def_bpd_bookworm="amd64"
      def_bpd_trixie=""
      ;;
    test)
      # What the test suite needs, cheap on 2 cores: Debian for the native architectures
      # (i386 runs without qemu), the toolchain layer once, busybox for the emulated ones.
      def_bookworm="amd64 i386"
      def_trixie=""
      def_bpd_bookworm="amd64"
      def_bpd_trixie=""
      ;;
    *) echo "farm: unknown profile '$PROFILE' (known: full, test)" >&2; exit 2 ;;
  esac
  # unset = the profile default; set but empty = none
  BOOKWORM_ARCHES=${ORCHESTRATE_FARM_ARCHES-$def_bookworm}
  TRIXIE_ARCHES=${ORCHESTRATE_FARM_TRIXIE_ARCHES-$def_trixie}
  BPD_BOOKWORM_ARCHES=${ORCHESTRATE_FARM_BPD_ARCHES-$def_bpd_bookworm}
  BPD_TRIXIE_ARCHES=${ORCHESTRATE_FARM_BPD_TRIXIE_ARCHES-$def_bpd_trixie}
  BUSYBOX_ARCHES=${ORCHESTRATE_FARM_BUSYBOX_ARCHES:-"amd64 i386 arm64v8 arm32v7 arm32v5 ppc64le s390x"}
  QEMU_PLATFORMS="linux/arm64 linux/arm/v7 linux/386 linux/ppc64le linux/s390x"
  REGISTRY_PORT=${ORCHESTRATE_FARM_REGISTRY_PORT:-5000}
  AUTH_PORT=${ORCHESTRATE_FARM_AUTH_PORT:-5443}
  SOURCES_PORT=${ORCHESTRATE_FARM_SOURCES_PORT:-8088}
  PY_SOURCES=${ORCHESTRATE_FARM_PYTHON_SOURCES-"trixie:python3.13 bookworm:python3.11"}
  REGISTRY="localhost:$REGISTRY_PORT"
  DEBIAN_MIRROR=${ORCHESTRATE_FARM_DEBIAN_MIRROR:-$(flib mirror-uri)}
  export DEBIAN_FRONTEND=noninteractive
}

# ---- step reporting --------------------------------------------------------------------------
# Each step runs with its output in logs/up.log; the terminal gets one line per step.
STEP_FAILED=0
# Never call it in an `if`/`&&`/`||` context: bash would then ignore errexit in the step.
step() {
  local name=$1 rc detail t0=$SECONDS; shift
  printf 'farm: %-10s ... ' "$name"
  rm -f "$FARM_DIR/run/step-detail"
  # A subshell with errexit of its own: inside `if` bash would silently ignore set -e.
  set +e
  (set -e; "$@") >>"$FARM_DIR/logs/up.log" 2>&1
  rc=$?
  set -e
  detail=$(cat "$FARM_DIR/run/step-detail" 2>/dev/null || true)
  rm -f "$FARM_DIR/run/step-detail"
  state "steps" "$name=$([ $rc = 0 ] && echo ready || { [ $rc = 10 ] && echo skipped; } || echo failed)"
  case $rc in
    0) printf 'ready%s [%ss]\n' "${detail:+ ($detail)}" "$((SECONDS - t0))" ;;
    10) printf 'skipped%s [%ss]\n' "${detail:+ ($detail)}" "$((SECONDS - t0))" ;;
    *)
      printf 'FAILED%s [%ss]\n' "${detail:+ ($detail)}" "$((SECONDS - t0))"
      echo "farm: last lines of $FARM_DIR/logs/up.log:" >&2
      tail -n 25 "$FARM_DIR/logs/up.log" | sed 's/^/    /' >&2
      STEP_FAILED=1
      ;;
  esac
}
# The one-line detail a step shows next to ready/FAILED.
detail() { printf '%s' "$*" >"$FARM_DIR/run/step-detail"; }
say() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
state() { local f=$1; shift; flib state-set "$FARM_DIR/state/$f.json" "$@"; }

# ---- PID files: the farm only ever stops what it started -------------------------------------
# pid_of NAME -> prints the PID in run/NAME.pid if that process is alive and runs EXE.
pid_of() {
  local name=$1 exe=${2:-} pid
  pid=$(cat "$FARM_DIR/run/$name.pid" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] && [ -d "/proc/$pid" ] || return 1
  if [ -n "$exe" ]; then
    [[ "$(basename "$(readlink "/proc/$pid/exe" 2>/dev/null)")" == "$exe"* ]] || return 1
  fi
  echo "$pid"
}

# stop_pid NAME EXE: TERM the process of run/NAME.pid (if it is ours and alive), wait, KILL.
stop_pid() {
  local name=$1 exe=$2 pid i
  if ! pid=$(pid_of "$name" "$exe"); then
    rm -f "$FARM_DIR/run/$name.pid"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 60); do
    [ -d "/proc/$pid" ] || break
    sleep 0.5
  done
  if [ -d "/proc/$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$FARM_DIR/run/$name.pid"
  echo "$pid"
}

# detach LOG CMD...: run CMD in its own session, surviving this script, with none of this
# script's file descriptors (a held lock must not live on in a daemon). Prints its PID.
detach() {
  local log=$1; shift
  (
    for fd in $(ls "/proc/$BASHPID/fd"); do
      if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    # not a process group leader here, so setsid runs CMD in this very process (same PID)
    exec setsid nohup "$@" >>"$log" 2>&1 </dev/null
  ) &
  echo $!
}

# start_bg NAME LOG CMD...: detach CMD and record its PID in run/NAME.pid.
start_bg() {
  local name=$1 log=$2; shift 2
  detach "$log" "$@" >"$FARM_DIR/run/$name.pid"
}

wait_for() { # wait_for SECONDS CMD...
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.5
  done
}

# ---- packages from the machine's own apt sources (never an upgrade) --------------------------
APT_UPDATED=0
apt_install() { # apt_install PKG... (only what is missing)
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  say "installing ${missing[*]}"
  if [ "$APT_UPDATED" = 0 ]; then
    apt-get -o DPkg::Lock::Timeout=600 update -q
    APT_UPDATED=1
  fi
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
}

# ---- a private apt dir for trixie packages and foreign-architecture .debs --------------------
# It names the same mirror as the machine's sources, keeps its own lists and cache, and is only
# used for `apt-get download` / `apt-get source`: the system is never upgraded by it.
PAPT_READY=0
papt() {
  apt-get -o Dir::Etc::SourceList="$FARM_DIR/apt/sources.list" \
    -o Dir::Etc::SourceParts="$FARM_DIR/apt/parts" \
    -o Dir::State::Lists="$FARM_DIR/apt/lists" \
    -o Dir::Cache="$FARM_DIR/apt/cache" \
    -o Dir::Cache::Archives="$FARM_DIR/apt/cache/archives" \
    -o APT::Architectures="amd64" \
    $(for a in $(flib arches deb); do [ "$a" = amd64 ] || printf -- '-o APT::Architectures::=%s ' "$a"; done) \
    -o APT::Get::AllowUnauthenticated=false "$@"
}
papt_update() {
  [ "$PAPT_READY" = 1 ] && return 0
  local key=/usr/share/keyrings/debian-archive-keyring.gpg
  mkdir -p "$FARM_DIR/apt/parts" "$FARM_DIR/apt/lists/partial" "$FARM_DIR/apt/cache/archives/partial" \
    "$FARM_DIR/apt/debs" "$FARM_DIR/apt/src"
  # trixie's foreign binary indexes fail their hash check on this mirror (ENVIRONMENT.md):
  # trixie binaries are fetched for amd64 only; foreign .debs come from bookworm.
  cat >"$FARM_DIR/apt/sources.list.new" <<EOF
deb [arch=amd64 signed-by=$key] $DEBIAN_MIRROR trixie main
deb [arch=$(flib arches deb | tr ' ' ,) signed-by=$key] $DEBIAN_MIRROR bookworm main
deb-src [signed-by=$key] $DEBIAN_MIRROR trixie main
deb-src [signed-by=$key] $DEBIAN_MIRROR bookworm main
EOF
  if cmp -s "$FARM_DIR/apt/sources.list.new" "$FARM_DIR/apt/sources.list"; then
    rm "$FARM_DIR/apt/sources.list.new"
  else
    mv "$FARM_DIR/apt/sources.list.new" "$FARM_DIR/apt/sources.list"
  fi
  # refresh at most once a day: a warm `up` should not hit the mirror for nothing
  if [ -z "$(find "$FARM_DIR/apt/lists" -maxdepth 1 -name '*InRelease' -mmin -1440 2>/dev/null)" ] \
    || [ "$FARM_DIR/apt/sources.list" -nt "$FARM_DIR/apt/lists/lock" ]; then
    papt update -q
  fi
  PAPT_READY=1
}

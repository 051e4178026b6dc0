# shellcheck shell=bash
# Step 6 of `scripts/farm up`: base images, bootstrapped from Debian's mirror, pushed to the farm
# registry under Docker Hub's names: per architecture as <arch>/<repo>:<tag> (like Hub's
# arm64v8/debian) and as multi-arch manifest lists library/<repo>:<tag>.
#
# "Present and current" = the registry holds the digest recorded for the image, and the recorded
# key (the recipe: Dockerfile, root file system checksum or parent digest) is unchanged. Lists
# cover every architecture whose image is present and current, so a lighter profile never
# shrinks a list a fuller one made. Fine-grained locks let two `up`s share the work.

reg_digest() { # reg_digest REPO TAG -> digest of the manifest (or list) in the farm registry
  curl -sfI \
    -H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json' \
    -H 'Accept: application/vnd.oci.image.index.v1+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://127.0.0.1:$REGISTRY_PORT/v2/$1/manifests/$2" |
    tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest" {print $2}'
}

stamp_file() { echo "$FARM_DIR/state/images/${1//\//_}_$2.stamp"; }

# is_current REPO TAG KEY: the registry holds the image recorded with this key.
is_current() {
  local f digest
  f=$(stamp_file "$1" "$2")
  [ "$REFRESH" = 0 ] && [ -f "$f" ] || return 1
  [ "$(sed -n 1p "$f")" = "$3" ] || return 1
  digest=$(reg_digest "$1" "$2")
  [ -n "$digest" ] && [ "$(sed -n 2p "$f")" = "$digest" ]
}
record() { # record REPO TAG KEY
  local f digest
  f=$(stamp_file "$1" "$2")
  mkdir -p "$(dirname "$f")"
  digest=$(reg_digest "$1" "$2")
  [ -n "$digest" ] || { echo "pushed $1:$2 but the registry does not have it" >&2; return 1; }
  printf '%s\n%s\n' "$3" "$digest" >"$f"
}
# current_digest REPO TAG: the digest if present and stamped (any key), else nothing.
current_digest() {
  local f digest
  f=$(stamp_file "$1" "$2")
  [ -f "$f" ] || return 0
  digest=$(reg_digest "$1" "$2")
  [ -n "$digest" ] && [ "$(sed -n 2p "$f")" = "$digest" ] && echo "$digest"
  return 0
}

# lock NAME: serialise work on one image between concurrent `up`s (released when the
# subshell that took it ends, or by unlock).
lock() {
  mkdir -p "$FARM_DIR/run/locks"
  exec {LOCK_FD}>"$FARM_DIR/run/locks/${1//\//_}.lock"
  flock "$LOCK_FD"
}
unlock() { exec {LOCK_FD}>&-; }

key_of() { cat "$@" | sha256sum | cut -c1-64; }

# build_push ARCH REPO TAG KEY CONTEXT [BUILD ARGS...]: one architecture's image, pushed.
build_push() {
  local arch=$1 repo=$2 tag=$3 key=$4 ctx=$5; shift 5
  local oci
  oci=$(flib arch "$arch" oci)
  lock "$arch/$repo:$tag"
  if is_current "$arch/$repo" "$tag" "$key"; then
    say "$arch/$repo:$tag is current"
    unlock
    return 0
  fi
  say "building $arch/$repo:$tag for $oci"
  local t0=$SECONDS
  docker buildx build --progress plain --platform "$oci" --push "$@" \
    -t "$REGISTRY/$arch/$repo:$tag" "$ctx"
  record "$arch/$repo" "$tag" "$key"
  say "built $arch/$repo:$tag in $((SECONDS - t0))s"
  BUILT+=("$arch/$repo:$tag")
  unlock
}

# make_list REPO TAG ARCH...: library/REPO:TAG over every present and current architecture.
make_list() {
  local repo=$1 tag=$2 arch; shift 2
  lock "library/$repo:$tag"
  local refs=() arches=() key digest
  for arch in $BUSYBOX_ARCHES; do # the widest known set, in a stable order
    digest=$(current_digest "$arch/$repo" "$tag")
    if [ -n "$digest" ]; then
      refs+=("$REGISTRY/$arch/$repo@$digest")
      arches+=("$arch")
    fi
  done
  [ ${#refs[@]} -gt 0 ] || { echo "no images for $repo:$tag" >&2; unlock; return 1; }
  key=$(printf '%s\n' "${refs[@]}" | sha256sum | cut -c1-64)
  if ! is_current "library/$repo" "$tag" "$key"; then
    say "manifest list library/$repo:$tag over ${arches[*]}"
    docker buildx imagetools create -t "$REGISTRY/library/$repo:$tag" "${refs[@]}"
    record "library/$repo" "$tag" "$key"
  fi
  LISTS["$repo:$tag"]="${arches[*]}"
  unlock
}

# The busybox of Debian's busybox-static for every architecture (seconds to make).
bases_busybox() {
  local arch image key
  for arch in $BUSYBOX_ARCHES; do
    lock "$arch/busybox:latest"
    image=$(busybox_image "$arch")
    key=$(key_of "$FARM_DIR/busybox/$arch/busybox" "$FARM_D/Dockerfile.busybox")
    if ! is_current "$arch/busybox" latest "$key"; then
      docker push "$image"
      record "$arch/busybox" latest "$key"
      BUILT+=("$arch/busybox:latest")
    fi
    unlock
  done
  make_list busybox latest
}

# index_verifies URI SUITE DEB_ARCH: apt can fetch that suite's main index for that arch, with
# the hashes its signed Release file names (checked in a throwaway private apt dir).
index_verifies() {
  local uri=$1 suite=$2 arch=$3 tmp rc=0 cache
  cache="$FARM_DIR/run/verified-$suite-$arch"
  [ ! -f "$cache" ] || return "$(cat "$cache")"
  tmp=$(mktemp -d)
  mkdir -p "$tmp/lists/partial" "$tmp/parts" "$tmp/cache"
  echo "deb [arch=$arch signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $suite main" >"$tmp/sources.list"
  apt-get -o Dir::Etc::SourceList="$tmp/sources.list" -o Dir::Etc::SourceParts="$tmp/parts" \
    -o Dir::State::Lists="$tmp/lists" -o Dir::Cache="$tmp/cache" -o APT::Architectures="$arch" \
    update -q >"$tmp/out" 2>&1 || rc=1
  grep -q '^E:' "$tmp/out" && rc=1
  [ "$rc" = 0 ] || { say "$uri $suite $arch does not verify:"; grep '^E:' "$tmp/out" >&2 || true; }
  rm -rf "$tmp"
  echo "$rc" >"$cache"
  return "$rc"
}

# clean_workdir DIR: remove a debootstrap target; an interrupted debootstrap leaves /proc (and
# possibly more) mounted inside it, which must be unmounted first, never recursed into.
clean_workdir() {
  local dir=$1 m
  [ -e "$dir" ] || return 0
  for m in $(findmnt -rn -o TARGET | grep -F "$dir/" | sort -r); do umount -l "$m" || true; done
  rm -rf --one-file-system "$dir"
}

# rootfs SUITE ARCH: debootstrap (minbase) into tarballs, full and slim; kept in the farm dir.
rootfs() {
  local suite=$1 arch=$2 deb_arch dir out slim security
  deb_arch=$(flib arch "$arch" deb)
  out="$FARM_DIR/rootfs/$suite-$arch.tar"
  slim="$FARM_DIR/rootfs/$suite-$arch-slim.tar"
  if [ "$REFRESH" = 0 ] && [ -s "$out.sha256" ] && [ -s "$slim.sha256" ]; then return 0; fi
  dir="$FARM_DIR/rootfs/work-$suite-$arch"
  clean_workdir "$dir"
  mkdir -p "$dir"
  say "debootstrap --variant=minbase --arch $deb_arch $suite ($DEBIAN_MIRROR)"
  local t0=$SECONDS
  debootstrap --variant=minbase --arch "$deb_arch" "$suite" "$dir" "$DEBIAN_MIRROR"
  say "debootstrap $suite $deb_arch took $((SECONDS - t0))s"
  # Like the official images: deb822 sources with updates and security, no apt lists, no
  # host files (hostname, resolv.conf are the engine's at run time). But only the suites whose
  # indexes for this architecture match their signed Release file on the mirror right now:
  # some (e.g. bookworm-security for i386) fail the hash check here, and an image whose
  # `apt-get update` fails is of no use. What was left out is written into the file.
  security="${DEBIAN_MIRROR%/debian}/debian-security"
  local extra="" left_out="" sec_ok=1
  if index_verifies "$DEBIAN_MIRROR" "$suite-updates" "$deb_arch"; then extra=" $suite-updates"
  else left_out+=" $suite-updates"; fi
  index_verifies "$security" "$suite-security" "$deb_arch" || { sec_ok=0; left_out+=" $suite-security"; }
  rm -f "$dir/etc/apt/sources.list"
  {
    [ -z "$left_out" ] ||
      echo "# left out by scripts/farm (index hash mismatch on the mirror at bootstrap):$left_out"
    printf 'Types: deb\nURIs: %s\nSuites: %s%s\nComponents: main\nSigned-By: %s\n' \
      "$DEBIAN_MIRROR" "$suite" "$extra" /usr/share/keyrings/debian-archive-keyring.gpg
    [ "$sec_ok" = 0 ] ||
      printf '\nTypes: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n' \
        "$security" "$suite-security" /usr/share/keyrings/debian-archive-keyring.gpg
  } >"$dir/etc/apt/sources.list.d/debian.sources"
  cat "$dir/etc/apt/sources.list.d/debian.sources"
  cat >"$dir/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  printf 'Acquire::Languages "none";\n' >"$dir/etc/apt/apt.conf.d/docker-no-languages"
  rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb \
    "$dir"/var/log/*.log "$dir"/var/log/apt/* "$dir/etc/hostname" "$dir/etc/resolv.conf" \
    "$dir/debootstrap"
  : >"$dir/etc/resolv.conf"
  echo localhost >"$dir/etc/hostname"
  tar --numeric-owner --xattrs -C "$dir" --exclude='./dev/*' --exclude='./proc/*' \
    --exclude='./sys/*' -cf "$out.tmp" .
  # slim: what debian:*-slim drops (docs, man pages, locales), and dpkg told to keep them out
  rm -rf "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/info/* \
    "$dir"/usr/share/groff/* "$dir"/usr/share/lintian/* "$dir"/usr/share/linda/*
  find "$dir/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  cat >"$dir/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  tar --numeric-owner --xattrs -C "$dir" --exclude='./dev/*' --exclude='./proc/*' \
    --exclude='./sys/*' -cf "$slim.tmp" .
  clean_workdir "$dir"
  mv "$out.tmp" "$out"
  mv "$slim.tmp" "$slim"
  sha256sum "$out" | cut -c1-64 >"$out.sha256"
  sha256sum "$slim" | cut -c1-64 >"$slim.sha256"
}

# debian_images SUITE ARCH: <arch>/debian:<suite> and <suite>-slim from the tarballs.
debian_images() {
  local suite=$1 arch=$2 variant tar key ctx
  for variant in "" "-slim"; do
    tar="$FARM_DIR/rootfs/$suite-$arch$variant.tar"
    key=none
    [ ! -s "$tar.sha256" ] || key=$(key_of "$FARM_D/rootfs.Dockerfile" "$tar.sha256")
    if [ ! -s "$tar.sha256" ] || ! is_current "$arch/debian" "$suite$variant" "$key"; then
      lock "rootfs-$suite-$arch"
      rootfs "$suite" "$arch"
      unlock
      key=$(key_of "$FARM_D/rootfs.Dockerfile" "$tar.sha256")
      ctx="$FARM_DIR/rootfs/ctx-$suite-$arch$variant"
      mkdir -p "$ctx"
      ln -f "$tar" "$ctx/rootfs.tar"
      cp "$FARM_D/rootfs.Dockerfile" "$ctx/Dockerfile"
      build_push "$arch" debian "$suite$variant" "$key" "$ctx"
      rm -rf "$ctx"
    fi
  done
}

# buildpack_deps SUITE ARCH: the three layers, each FROM the previous one's pushed digest.
buildpack_deps() {
  local suite=$1 arch=$2 parent layer tag key ncurses="libncurses5-dev libncursesw5-dev"
  [ "$suite" = bookworm ] || ncurses="libncurses-dev"
  parent="$REGISTRY/$arch/debian@$(current_digest "$arch/debian" "$suite")"
  for layer in curl scm full; do
    tag="$suite-$layer"
    [ "$layer" = full ] && tag="$suite"
    key=$( (cat "$FARM_D/buildpack-deps/$layer.Dockerfile"; echo "$parent $ncurses") | sha256sum | cut -c1-64)
    build_push "$arch" buildpack-deps "$tag" "$key" "$FARM_D/buildpack-deps" \
      -f "$FARM_D/buildpack-deps/$layer.Dockerfile" --build-arg "BASE=$parent" \
      --build-arg "NCURSES=$ncurses"
    parent="$REGISTRY/$arch/buildpack-deps@$(current_digest "$arch/buildpack-deps" "$tag")"
  done
}

step_bases() {
  apt_install debootstrap curl
  BUILT=()
  declare -gA LISTS=()
  local t0=$SECONDS suite arches bpd arch
  bases_busybox
  for suite in bookworm trixie; do
    if [ "$suite" = bookworm ]; then arches=$BOOKWORM_ARCHES bpd=$BPD_BOOKWORM_ARCHES
    else arches=$TRIXIE_ARCHES bpd=$BPD_TRIXIE_ARCHES; fi
    [ -n "$arches" ] || continue
    for arch in $arches; do
      if [ "$suite" = trixie ] && [ "$arch" != amd64 ] && [ "$arch" != arm64v8 ]; then
        # ENVIRONMENT.md: trixie's other indexes fail their hash check on this mirror.
        echo "trixie is only bootstrapped for amd64 and arm64v8 here, not $arch" >&2
        detail "trixie $arch: the mirror's trixie indexes only verify for amd64 and arm64"
        return 1
      fi
      debian_images "$suite" "$arch"
    done
    make_list debian "$suite"
    make_list debian "$suite-slim"
    for arch in $bpd; do buildpack_deps "$suite" "$arch"; done
    if [ -n "$bpd" ]; then
      make_list buildpack-deps "$suite-curl"
      make_list buildpack-deps "$suite-scm"
      make_list buildpack-deps "$suite"
    fi
  done
  # Lists made by earlier runs (a fuller profile) stay recorded: merge, never drop.
  local images k
  images=$(for k in "${!LISTS[@]}"; do printf '%s=%s\n' "library/$k" "${LISTS[$k]}"; done |
    python3 -c 'import json, sys
try:
    images = json.load(open(sys.argv[1])).get("images", {})
except OSError:
    images = {}
for line in sys.stdin.read().splitlines():
    name, _, arches = line.partition("=")
    images[name] = {"arches": arches.split()}
print(json.dumps(images, sort_keys=True))' "$FARM_DIR/state/bases.json")
  state bases images="$images" registry="$REGISTRY" \
    busybox="$REGISTRY/library/busybox:latest" \
    busybox_note="Debian bookworm busybox-static in a scratch image, all architectures" \
    built_this_run="$(printf '%s\n' "${BUILT[@]}" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read().split()))')"
  detail "${#LISTS[@]} manifest lists; built ${#BUILT[@]} images in $((SECONDS - t0))s"
}

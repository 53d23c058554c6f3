#!/usr/bin/env bash
# Build docker/Dockerfile with podman (no Docker engine needed): `make image`.
#
# The base image is the Dockerfile's own (python:3.11-slim-bookworm) when it can be pulled;
# otherwise one is made here with debootstrap from the Debian release this machine runs, with
# that release's python3, from the mirror in this machine's apt sources, and carrying this
# machine's CA bundle (TLS to the package registries may be intercepted; pip in the build must
# trust what the machine trusts).
#
# Machine quirks are handled here, not in the Dockerfile: crun cannot raise rlimits and hybrid
# cgroups need runc, so every container runs with `--runtime runc` and explicit `--ulimit`s.
#
# Environment: IMAGE (default localhost/gatehouse:latest), BASE_IMAGE (skip both the pull and
# debootstrap: use this one), GATEHOUSE_IMAGE_PULL=0 (don't try to pull the usual base).
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-localhost/gatehouse:latest}
USUAL_BASE=python:3.11-slim-bookworm
# shellcheck source=docker/podman-flags.sh
. docker/podman-flags.sh

fail() {
  echo "make image: FAILED: $*" >&2
  exit 1
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# podman, runc and debootstrap from Debian's packages, as .ci/run installs chromium.
ensure_tools() {
  local missing=()
  command -v podman >/dev/null 2>&1 || missing+=(podman)
  command -v runc >/dev/null 2>&1 || [ -x /usr/sbin/runc ] || missing+=(runc)
  command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "== installing ${missing[*]} (Debian packages)"
  as_root apt-get install -y "${missing[@]}" \
    || { as_root apt-get update && as_root apt-get install -y "${missing[@]}"; } \
    || fail "could not install ${missing[*]} with apt-get"
}

# The first mirror URI the apt sources give for this release (deb822 or one-line format).
debian_mirror() {
  local codename=$1 uri=""
  if compgen -G "/etc/apt/sources.list.d/*.sources" >/dev/null; then
    uri=$(awk -v suite="$codename" '
      /^[[:space:]]*$/ { if (u != "" && s ~ "(^| )" suite "( |$)") { print u; exit } u = ""; s = ""; next }
      /^URIs:/ { u = $2 } /^Suites:/ { $1 = ""; s = $0 " " }
      END { if (u != "" && s ~ "(^| )" suite "( |$)") print u }' \
      /etc/apt/sources.list.d/*.sources | head -n1)
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk -v suite="$codename" '$1 == "deb" && $0 ~ " " suite " " {
      for (i = 2; i <= NF; i++) if ($i ~ "^[a-z]+://") { print $i; exit } }' /etc/apt/sources.list)
  fi
  [ -n "$uri" ] || fail "no apt source for '$codename' in /etc/apt/sources.list{,.d/*.sources}"
  echo "$uri"
}

ca_bundle() {
  for f in /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt; do
    [ -s "$f" ] && { echo "$f"; return 0; }
  done
  fail "no CA bundle found on this machine"
}

debootstrap_base() {
  local codename tag rootfs mirror
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  [ -n "$codename" ] || fail "cannot tell this machine's Debian release (/etc/os-release)"
  tag="localhost/gatehouse-base:$codename"
  if podman image exists "$tag"; then
    echo "== base image $tag (made earlier)" >&2
    echo "$tag"
    return 0
  fi
  mirror=$(debian_mirror "$codename")
  rootfs=$(mktemp -d /tmp/gatehouse-rootfs.XXXXXX)
  echo "== debootstrap $codename from $mirror into $rootfs" >&2
  as_root debootstrap --variant=minbase \
    --include=python3,python3-venv,python-is-python3,passwd,ca-certificates \
    "$codename" "$rootfs" "$mirror" >&2 \
    || fail "debootstrap of $codename from $mirror failed"
  cp "$(ca_bundle)" "$rootfs/etc/ssl/certs/ca-certificates.crt"
  # Python's venv needs nothing else; apt's lists and caches only weigh the image down.
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
  tar -C "$rootfs" -c . | podman import \
    --change "ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt" \
    --change "ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt" \
    --change 'CMD ["python3"]' - "$tag" >/dev/null \
    || fail "podman import of the debootstrapped base failed"
  as_root rm -rf "$rootfs"
  echo "$tag"
}

base_image() {
  if [ -n "${BASE_IMAGE:-}" ]; then
    echo "$BASE_IMAGE"
    return 0
  fi
  if [ "${GATEHOUSE_IMAGE_PULL:-1}" != 0 ] && timeout 60 podman pull -q "$USUAL_BASE" >/dev/null 2>&1; then
    echo "$USUAL_BASE"
    return 0
  fi
  echo "== $USUAL_BASE cannot be pulled here; making a base image with debootstrap" >&2
  debootstrap_base
}

ensure_tools
started=$(date +%s)
base=$(base_image)
echo "== podman build $IMAGE (base $base)"
# --network host: the build's pip reaches the package index as this machine does.
podman build "${PODMAN_FLAGS[@]}" --network host --pull=never --format docker \
  --build-arg "PYTHON_IMAGE=$base" -f docker/Dockerfile -t "$IMAGE" . \
  || fail "podman build of docker/Dockerfile failed (see above)"
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
echo "== built $IMAGE: $((size / 1000000)) MB in $(($(date +%s) - started)) s"

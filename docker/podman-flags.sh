# Sourced by build-image.sh and smoke-image.sh: how podman runs containers on this machine.
# crun cannot raise rlimits here ("setrlimit ... not permitted") and hybrid cgroups need runc;
# explicit limits keep runc from trying to raise them beyond what the host grants.
# shellcheck shell=bash
RUNC=$(command -v runc || echo /usr/sbin/runc)
PODMAN_FLAGS=(--runtime "$RUNC" --ulimit nofile=20000:20000 --ulimit nproc=4096:4096)
export PODMAN_FLAGS

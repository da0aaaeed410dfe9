#!/usr/bin/env bash
# Build the Docker image and run the docker-compose set for real, drive it, and remove what it made:
#   1. base images: the official ones when a registry answers, else stand-ins built from Debian's
#      packages (debootstrap, root only): Python 3.11, PostgreSQL 15 and Redis 7 from bookworm;
#   2. the app image from the Dockerfile (BASE_IMAGE = the Python base of step 1);
#   3. docker-compose.yml + deploy/compose.host-network.yml: api (two backend workers), two queue
#      consumers, PostgreSQL, Redis, on the host's network at free 127.0.0.1 ports; wait for health;
#   4. an account and an API token made with the CLI inside the api container, a sandbox image
#      generated through the REST API from outside, its media fetched;
#   5. the api container restarted: the task and its media are still there;
#   6. everything stopped and removed. Each step's time is printed, and a summary at the end.
#
#   scripts/container-check.sh          needs podman (+ podman-compose) or docker with a running daemon
#
# Settings (environment):
#   CONTAINER_ENGINE      podman | docker (default: podman when installed, else docker)
#   CONTAINER_BASE        auto | official | standin (default auto: official when a registry answers)
#   CONTAINER_CHECK_DIR   work directory (default /var/tmp/smartspec-container-check); as root, podman
#                         keeps this run's images, layers and volumes in a private store there
#   CONTAINER_CHECK_KEEP  1: keep the images (and the private store) for a faster next run
#   DEBIAN_MIRROR         for debootstrap (default http://deb.debian.org/debian)
set -euo pipefail
cd "$(dirname "$0")/.."
root_dir=$PWD

# ---------------------------------------------------------------- timing and reporting
run_start=$EPOCHREALTIME
summary=()
step_start=""
step_name=""
ms_since() { local now=${EPOCHREALTIME//[.,]/} then=${1//[.,]/}; echo $(((10#$now - 10#$then) / 1000)); }
seconds() { printf '%d.%d' $(($1 / 1000)) $((($1 % 1000) / 100)); }
step() {
  step_done
  step_name=$1
  step_start=$EPOCHREALTIME
  echo "==> $step_name"
}
step_done() {
  [ -n "$step_name" ] || return 0
  local took
  took=$(seconds "$(ms_since "$step_start")")
  echo "    done in ${took} s"
  summary+=("$(printf '%-58s %8s s' "$step_name" "$took")")
  step_name=""
}
note() { echo "    $*"; }
fail() {
  echo "container check FAILED: $*" >&2
  exit 1
}

# ---------------------------------------------------------------- engine and compose tool
engine=${CONTAINER_ENGINE:-}
if [ -z "$engine" ]; then
  if command -v podman >/dev/null; then engine=podman; elif command -v docker >/dev/null; then engine=docker; fi
fi
case "$engine" in
  podman | docker) command -v "$engine" >/dev/null || fail "$engine is not installed" ;;
  *) fail "neither podman nor docker is installed (Debian: apt-get install podman runc slirp4netns debootstrap)" ;;
esac

work=${CONTAINER_CHECK_DIR:-/var/tmp/smartspec-container-check}
mkdir -p "$work"
work=$(cd "$work" && pwd)
logs="$work/logs"
mkdir -p "$logs"
is_root=0
[ "$(id -u)" = 0 ] && is_root=1

podman_format=()
podman_jobs=()
if [ "$engine" = podman ]; then
  # runc and explicit ulimits: crun refuses hybrid cgroups, podman's default ulimits may exceed the
  # process's limits; no systemd: cgroupfs and a file for events. Nothing system-wide changes.
  nofile=$(ulimit -Hn)
  [ "$nofile" = unlimited ] && nofile=65536
  [ "$nofile" -gt 65536 ] && nofile=65536
  runtime=runc
  command -v runc >/dev/null || runtime=crun
  cat >"$work/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=4096:4096"]
[engine]
runtime = "$runtime"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
  export CONTAINERS_CONF="$work/containers.conf"
  if [ "$is_root" = 1 ]; then # a private store: removing it removes every layer this run made
    cat >"$work/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$work/storage"
runroot = "$work/run"
EOF
    export CONTAINERS_STORAGE_CONF="$work/storage.conf"
  fi
  podman_format=(--format docker) # OCI images drop HEALTHCHECK
  podman_jobs=(--jobs 2)           # the runtime stage's apt-get runs while the build stage installs
  compose_cmd=()
  for candidate in "$root_dir/.venv/bin/podman-compose" podman-compose; do
    if command -v "$candidate" >/dev/null; then
      compose_cmd=("$candidate")
      break
    fi
  done
  [ "${#compose_cmd[@]}" -gt 0 ] || fail "podman-compose is not installed (pip install -r requirements-dev.txt)"
else
  docker info >/dev/null 2>&1 || fail "docker is installed but its daemon does not answer"
  compose_cmd=(docker compose)
fi

project="smartspec-check-$$"
app_image="localhost/smartspec-pro:check-$$"
standin_prefix="localhost/smartspec-standin"
made_images=("$app_image")
compose_up=0

image_exists() { "$engine" image inspect "$1" >/dev/null 2>&1; }
compose() { "${compose_cmd[@]}" -p "$project" -f docker-compose.yml -f deploy/compose.host-network.yml "$@"; }
containers_of() { # the containers of one service, by the compose labels both tools set
  "$engine" ps -a --filter "label=com.docker.compose.project=$project" --filter "label=com.docker.compose.service=$1" --format '{{.Names}}' | sort
}

cleanup() {
  local status=$?
  set +e
  step_done
  if [ "$status" != 0 ] && [ "$compose_up" = 1 ]; then
    echo "---- logs of the failed run (last lines per container) ----" >&2
    for ctr in $("$engine" ps -a --filter "label=com.docker.compose.project=$project" --format '{{.Names}}'); do
      echo "---- $ctr" >&2
      "$engine" logs --tail 40 "$ctr" 2>&1 | grep -v SAWarning | grep -v to_metadata >&2
    done
  fi
  step "stop everything and remove what the check made"
  if [ "$compose_up" = 1 ]; then
    compose down -v -t 10 >"$logs/compose-down.log" 2>&1 || note "compose down failed: see $logs/compose-down.log"
  fi
  for ctr in $("$engine" ps -aq --filter "label=com.docker.compose.project=$project" 2>/dev/null); do "$engine" rm -f -v "$ctr" >/dev/null; done
  for vol in $("$engine" volume ls -q 2>/dev/null | grep "^${project}[_-]"); do "$engine" volume rm -f "$vol" >/dev/null; done
  if [ "${CONTAINER_CHECK_KEEP:-0}" = 1 ]; then
    note "CONTAINER_CHECK_KEEP=1: images kept in ${CONTAINERS_STORAGE_CONF:+the private store under }$work"
  elif [ -n "${CONTAINERS_STORAGE_CONF:-}" ]; then
    # the private store holds nothing but this run's images and layers: unmount what is left, delete it
    grep " $work/" /proc/mounts | cut -d' ' -f2 | sort -r | xargs -r umount -l
    rm -rf "$work/storage" "$work/run"
    note "removed the private image store under $work"
  else
    for image in "${made_images[@]}"; do "$engine" rmi -f "$image" >/dev/null 2>&1; done
    note "removed the images ${made_images[*]}"
  fi
  rm -rf "$work/rootfs" "$work/containers.conf" "$work/storage.conf"
  if [ "$status" = 0 ]; then
    rm -rf "$logs"
    rmdir "$work" 2>/dev/null
  else
    note "build and compose logs kept in $logs"
  fi
  step_done
  echo
  echo "---- container check summary ($engine) ----"
  printf '%s\n' "${summary[@]}"
  printf '%-58s %8s s\n' "total" "$(seconds "$(ms_since "$run_start")")"
  if [ "$status" = 0 ]; then echo "container check passed"; else echo "container check FAILED (exit $status)"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_ports() {
  python3 - <<'EOF'
import socket
sockets = [socket.socket() for _ in range(3)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in sockets))
EOF
}

wait_healthy() { # CONTAINER TIMEOUT: run the container's own health check until it passes
  local ctr=$1 deadline=$((SECONDS + $2)) state
  while :; do
    state=$("$engine" inspect -f '{{.State.Status}}' "$ctr" 2>/dev/null || echo missing)
    case "$state" in running | starting | created | restarting | configured | initialized) ;; *) fail "$ctr is $state" ;; esac
    if [ "$engine" = podman ]; then # no systemd here to run podman's health timers: run the check itself
      podman healthcheck run "$ctr" >/dev/null 2>&1 && return 0
    else
      [ "$(docker inspect -f '{{.State.Health.Status}}' "$ctr")" = healthy ] && return 0
    fi
    [ "$SECONDS" -lt "$deadline" ] || fail "$ctr was not healthy within $2 s"
    sleep 1
  done
}

# ---------------------------------------------------------------- 1. base images
base_mode=${CONTAINER_BASE:-auto}
# fully qualified: podman resolves no short names unless registries.conf says where to look
official_python=docker.io/library/python:3.11-slim-bookworm
official_postgres=docker.io/library/postgres:16
official_redis=docker.io/library/redis:7
if [ "$base_mode" = auto ]; then
  base_mode=standin
  if image_exists "$official_python" && image_exists "$official_postgres" && image_exists "$official_redis"; then
    base_mode=official
  elif curl -s -o /dev/null -m 10 -w '%{http_code}' https://registry-1.docker.io/v2/ 2>/dev/null | grep -qE '^(200|401)$'; then
    base_mode=official
  fi
fi
echo "container check: $engine, ${base_mode} base images, work directory $work"

if [ "$base_mode" = official ]; then
  python_image=$official_python postgres_image=$official_postgres redis_image=$official_redis
else
  debian_base="$standin_prefix/debian:bookworm"
  python_image="$standin_prefix/python:3.11-bookworm"
  postgres_image="$standin_prefix/postgres:15-bookworm"
  redis_image="$standin_prefix/redis:7-bookworm"
  made_images+=("$python_image" "$postgres_image" "$redis_image" "$debian_base")
  if ! image_exists "$debian_base"; then
    step "stand-in base: debootstrap Debian bookworm (minbase) and import it"
    [ "$is_root" = 1 ] || fail "building the stand-in images needs root (debootstrap); or set CONTAINER_BASE=official"
    command -v debootstrap >/dev/null || fail "debootstrap is not installed (apt-get install debootstrap)"
    rm -rf "$work/rootfs"
    debootstrap --variant=minbase bookworm "$work/rootfs" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$logs/debootstrap.log" 2>&1 ||
      fail "debootstrap failed: see $logs/debootstrap.log"
    rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
    tar -C "$work/rootfs" -c . | "$engine" import - "$debian_base" >"$logs/import.log" 2>&1 || fail "import failed: see $logs/import.log"
    rm -rf "$work/rootfs"
  fi
  for kind in python postgres redis; do
    image_var="${kind}_image"
    image=${!image_var}
    image_exists "$image" && continue
    step "stand-in $kind image from Debian's packages ($image)"
    "$engine" build "${podman_format[@]}" --network host --build-arg "DEBIAN_BASE=$debian_base" \
      -f "deploy/standin/$kind.Containerfile" -t "$image" deploy/standin >"$logs/build-$kind.log" 2>&1 ||
      fail "building $image failed: see $logs/build-$kind.log"
  done
fi

# ---------------------------------------------------------------- 2. the app image
step "build the app image from the Dockerfile (base $python_image)"
ca_args=()
if [ "$engine" = podman ] && compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  # This machine's HTTPS goes through a proxy whose CAs the host trusts: lend the build the host's
  # bundle for pip and npm, read-only and for the build only (nothing of it lands in the image).
  bundle=/etc/ssl/certs/ca-certificates.crt
  ca_args=(-v /etc/ssl/certs:/etc/ssl/certs:ro --build-arg "CA_BUNDLE=$bundle")
  note "the host's CA bundle is lent to the build (extra CAs in /usr/local/share/ca-certificates)"
fi
"$engine" build "${podman_format[@]}" "${podman_jobs[@]}" --network host "${ca_args[@]}" --build-arg "BASE_IMAGE=$python_image" \
  -t "$app_image" . >"$logs/build-app.log" 2>&1 || fail "building the app image failed: see $logs/build-app.log"
image_bytes=$("$engine" image inspect -f '{{.Size}}' "$app_image")
image_mb=$((image_bytes / 1000000))
note "image $app_image: $image_mb MB"

# ---------------------------------------------------------------- 3. the compose set
read -r app_port postgres_port redis_port <<<"$(free_ports)"
base_url="http://127.0.0.1:$app_port"
export SMARTSPEC_IMAGE=$app_image CHECK_POSTGRES_IMAGE=$postgres_image CHECK_REDIS_IMAGE=$redis_image
export CHECK_APP_PORT=$app_port CHECK_POSTGRES_PORT=$postgres_port CHECK_REDIS_PORT=$redis_port
ENCRYPTION_KEYS=$(python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')
POSTGRES_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
export ENCRYPTION_KEYS POSTGRES_PASSWORD

step "start the compose set (api, 2 consumers, PostgreSQL, Redis) and wait for health"
up_start=$EPOCHREALTIME
compose_up=1
compose up -d >"$logs/compose-up.log" 2>&1 || fail "compose up failed: see $logs/compose-up.log"
api=$(containers_of api)
workers=$(containers_of worker)
[ -n "$api" ] || fail "no api container"
[ "$(wc -w <<<"$workers")" = 2 ] || fail "expected two consumer containers, found: $workers"
note "api on $base_url; PostgreSQL on 127.0.0.1:$postgres_port, Redis on 127.0.0.1:$redis_port"
wait_healthy "$(containers_of postgres)" 120
wait_healthy "$api" 300
startup_ms=$(ms_since "$up_start")
note "api healthy $(seconds "$startup_ms") s after compose up"
for worker in $workers; do wait_healthy "$worker" 120; done

# Two backend workers under the api's server process (PID 1), and the queue in the consumers only.
backend_workers=$("$engine" exec "$api" python -c '
import pathlib
print(sum(1 for p in pathlib.Path("/proc").glob("[0-9]*/status") if "\nPPid:\t1\n" in p.read_text() and b"start.py" in (p.parent / "cmdline").read_bytes()))')
[ "$backend_workers" = 2 ] || fail "expected 2 backend worker processes in the api container, found $backend_workers"
note "api: $backend_workers backend worker processes"

# ---------------------------------------------------------------- 4. sign up and generate
step "sign up with the CLI in the api container and make an API token"
email="check-$$@example.com"
password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
"$engine" exec "$api" python -m smartspec_app.cli create-user "$email" "$password" >"$logs/sign-up.log" 2>&1 ||
  fail "create-user failed: $(cat "$logs/sign-up.log")"
note "$(tail -1 "$logs/sign-up.log")"
token=$("$engine" exec -e "CHECK_EMAIL=$email" "$api" python -c '
import os
from sqlmodel import select
from smartspec_app.models import User
from smartspec_app.services import keys
from smartspec_app.services.db import session_scope
with session_scope() as session:
    user = session.exec(select(User).where(User.email == os.environ["CHECK_EMAIL"])).one()
    _, plain = keys.create_api_token(session, keys.get_key_manager(), user, "container check")
print(plain)' 2>"$logs/token.log" | tail -1) || fail "making a token failed: $(tail -5 "$logs/token.log")"

step "generate a sandbox image through the REST API and fetch its media"
result=$(python3 scripts/container_check_api.py generate "$base_url" "$token") || fail "generation through the API failed"
task_id=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["task_id"])' "$result")
sha256=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["sha256"])' "$result")
note "task $task_id completed: $(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["output_url"])' "$result")"
ran=0
for worker in $workers; do
  "$engine" logs "$worker" 2>&1 | grep -q "Executing smartspec_app.services.worker.advance" && ran=$((ran + 1))
done
[ "$ran" -ge 1 ] || fail "no queue consumer ran the task"
"$engine" logs "$api" 2>&1 | grep -q "in-process task consumer started" && fail "the api runs a queue consumer in-process"
note "the task ran in the consumers ($ran of 2 took part), not in the api"

# ---------------------------------------------------------------- 5. restart
step "restart the api container and wait for health"
"$engine" restart -t 20 "$api" >"$logs/restart.log" 2>&1 || fail "restart failed: $(tail -3 "$logs/restart.log")"
wait_healthy "$api" 300
note "api healthy again"

step "the task and its media are still there"
python3 scripts/container_check_api.py verify "$base_url" "$token" "$task_id" "$sha256" >/dev/null || fail "the task did not survive the restart"
note "task $task_id still completed; media bytes unchanged"
step_done
summary+=("$(printf '%-58s %8s s' "(start-up: compose up -> api healthy)" "$(seconds "$startup_ms")")")
summary+=("$(printf '%-58s %8s MB' "(app image size)" "$image_mb")")

#!/usr/bin/env bash
# A one-node Slurm cluster on localhost for CI: munged + slurmctld + slurmd, all state in one
# temporary folder, stopped again on exit.
#
#   ci/slurm/cluster.sh COMMAND [ARGS...]   # start, run COMMAND with SLURM_CONF set, stop
#   source ci/slurm/cluster.sh              # functions only: slurm_install, slurm_start, ...
#
# slurm_install installs Debian's slurm-wlm and munge when missing (apt-get update once, then
# apt-get install -y slurm-wlm munge) and returns 1 when they cannot be installed (not root, no
# network, no such packages): callers print a loud SKIP with $SLURM_SKIP_REASON then.
# slurm_start writes a munge key and a minimal slurm.conf (NodeName=localhost CPUs=2, one
# partition, select/cons_tres, proctrack/linuxproc, task/none: no cgroups, which fail in a
# container; SlurmUser=SlurmdUser=root) into $SLURM_TMP, starts the three daemons in the
# background, and waits (bounded) until `sinfo` shows the node idle. Nothing is written outside
# $SLURM_TMP (the Slurm and munge state, spool, logs, pid files and sockets all live there).
#
# Environment: CURVLAB_SLURM_MAX_ARRAY (MaxArraySize, default 3, so that a 4-shard study is
# split into two arrays), CURVLAB_SLURM_PORT (slurmctld port, slurmd uses the next one; default
# 6817), CURVLAB_SLURM_KEEP=1 keeps $SLURM_TMP (with the daemons' logs) after stopping.

slurm_install() {
    SLURM_SKIP_REASON=""
    if command -v slurmctld >/dev/null && command -v slurmd >/dev/null \
        && command -v munged >/dev/null && command -v sbatch >/dev/null; then
        return 0
    fi
    if [ "$(id -u)" != 0 ]; then
        SLURM_SKIP_REASON="slurm-wlm/munge are not installed and installing them needs root"
        return 1
    fi
    if ! command -v apt-get >/dev/null; then
        SLURM_SKIP_REASON="slurm-wlm/munge are not installed and there is no apt-get (not Debian)"
        return 1
    fi
    local log
    log="$(mktemp)"
    echo "cluster.sh: installing slurm-wlm and munge from Debian (log: $log)" >&2
    if ! timeout 600 apt-get update >"$log" 2>&1; then
        SLURM_SKIP_REASON="apt-get update failed: $(tail -1 "$log")"
        return 1
    fi
    if ! DEBIAN_FRONTEND=noninteractive timeout 900 \
        apt-get install -y --no-install-recommends slurm-wlm munge >>"$log" 2>&1; then
        SLURM_SKIP_REASON="apt-get install -y slurm-wlm munge failed: $(tail -1 "$log")"
        return 1
    fi
    rm -f "$log"
}

# Writes munge.key and slurm.conf into $SLURM_TMP.
slurm_write_config() {
    local port="${CURVLAB_SLURM_PORT:-6817}"
    mkdir -p "$SLURM_TMP"/{munge,state,spool,log}
    chmod 755 "$SLURM_TMP/munge"   # munged wants its socket folder searchable by all
    # 1024 bytes of key, from the kernel's CSPRNG; munged wants it readable by its user only.
    head -c 1024 /dev/urandom >"$SLURM_TMP/munge/munge.key"
    chmod 400 "$SLURM_TMP/munge/munge.key"
    export SLURM_CONF="$SLURM_TMP/slurm.conf"
    cat >"$SLURM_CONF" <<EOF
ClusterName=curvlab-ci
SlurmctldHost=localhost
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SLURM_TMP/munge/munge.socket.2
StateSaveLocation=$SLURM_TMP/state
SlurmdSpoolDir=$SLURM_TMP/spool
SlurmctldPidFile=$SLURM_TMP/slurmctld.pid
SlurmdPidFile=$SLURM_TMP/slurmd.pid
SlurmctldLogFile=$SLURM_TMP/log/slurmctld.log
SlurmdLogFile=$SLURM_TMP/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MaxArraySize=${CURVLAB_SLURM_MAX_ARRAY:-3}
ReturnToService=2
MinJobAge=600
KillWait=5
SlurmdTimeout=60
NodeName=localhost CPUs=2 State=UNKNOWN
PartitionName=ci Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
}

slurm_start() {
    SLURM_TMP="$(mktemp -d "${TMPDIR:-/tmp}/curvlab-slurm.XXXXXX")"
    export SLURM_TMP
    chmod 711 "$SLURM_TMP" # munged wants every folder above its socket searchable
    slurm_write_config
    munged --force --key-file="$SLURM_TMP/munge/munge.key" \
        --socket="$SLURM_TMP/munge/munge.socket.2" \
        --pid-file="$SLURM_TMP/munge/munged.pid" \
        --log-file="$SLURM_TMP/log/munged.log" \
        --seed-file="$SLURM_TMP/munge/munged.seed" ||
        { echo "cluster.sh: munged did not start:" >&2; cat "$SLURM_TMP/log/munged.log" >&2; return 1; }
    slurmctld -f "$SLURM_CONF" ||
        { echo "cluster.sh: slurmctld did not start" >&2; slurm_logs; return 1; }
    slurmd -f "$SLURM_CONF" -N localhost ||
        { echo "cluster.sh: slurmd did not start" >&2; slurm_logs; return 1; }
    slurm_wait_idle 90
}

# Waits up to $1 seconds until the node is idle.
slurm_wait_idle() {
    local deadline=$((SECONDS + $1)) state=""
    while [ "$SECONDS" -lt "$deadline" ]; do
        state="$(sinfo -h -N -n localhost -o '%t' 2>/dev/null || true)"
        if [ "$state" = "idle" ]; then
            echo "cluster.sh: one-node cluster up (node localhost idle, $SLURM_CONF)" >&2
            return 0
        fi
        sleep 1
    done
    echo "cluster.sh: node not idle after $1 s (state: '${state:-no answer}')" >&2
    slurm_logs
    return 1
}

slurm_logs() {
    local f
    for f in "$SLURM_TMP"/log/*.log; do
        [ -f "$f" ] || continue
        echo "---- $f (last 20 lines)" >&2
        tail -20 "$f" >&2
    done
}

# Cancels the cluster's jobs, stops the daemons this script started (by their pid files) and
# removes $SLURM_TMP.
slurm_stop() {
    [ -n "${SLURM_TMP:-}" ] && [ -d "$SLURM_TMP" ] || return 0
    local f pid
    # Jobs first: their slurmstepd processes would outlive slurmd.
    if [ -f "$SLURM_TMP/slurmctld.pid" ]; then
        scancel --quiet --user="$(id -un)" 2>/dev/null || true
        for _ in $(seq 40); do
            [ -z "$(squeue -h -t all -o '%i %T' 2>/dev/null | grep -E 'RUNNING|COMPLETING|PENDING' || true)" ] && break
            sleep 0.5
        done
    fi
    # Read every pid first: the daemons remove their pid files while shutting down.
    local pids=""
    for f in slurmd.pid slurmctld.pid munge/munged.pid; do
        pid="$(cat "$SLURM_TMP/$f" 2>/dev/null || true)"
        [ -n "$pid" ] && pids="$pids $pid"
    done
    for pid in $pids; do kill "$pid" 2>/dev/null || true; done
    for _ in $(seq 100); do
        local alive=0
        for pid in $pids; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && break
        sleep 0.2
    done
    for pid in $pids; do
        kill -0 "$pid" 2>/dev/null && echo "cluster.sh: pid $pid still running after 20 s" >&2
    done
    if [ "${CURVLAB_SLURM_KEEP:-0}" = 1 ]; then
        echo "cluster.sh: kept $SLURM_TMP" >&2
    else
        rm -rf "$SLURM_TMP"
    fi
    SLURM_TMP=""
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    if ! slurm_install; then
        echo "SKIP: no Slurm cluster: $SLURM_SKIP_REASON" >&2
        exit 0
    fi
    trap slurm_stop EXIT
    trap 'exit 130' INT TERM
    slurm_start
    if [ $# -gt 0 ]; then
        "$@"
    else
        sinfo
    fi
fi

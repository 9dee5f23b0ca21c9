#!/bin/sh
# libvirtd of a kvm hypervisor, started in the host's cgroup /osh-libvirt
# instead of its pod's. A guest's QEMU starts in libvirtd's cgroups, and
# libvirt moves it only in the controllers it manages (cpu, memory, blkio,
# cpuset, freezer), not devices, pids or the named ones. Stopping the pod,
# the runtime kills every process left in the container's cgroups: every
# guest on the node would die with a rollout of this DaemonSet. Outside
# them, the guests outlive the pod, and the next libvirtd reconnects to them
# through their state in the host's /run/libvirt and /etc/libvirt/qemu.
# Moving is best effort: where a hierarchy refuses, libvirtd still starts,
# and says so in its log.
leave_pod_cgroups() {
    for hierarchy in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
        [ -e "${hierarchy}cgroup.procs" ] || continue
        target="${hierarchy}osh-libvirt"
        mkdir -p "$target" || return 1
        # cgroup v1's cpuset starts empty, and an empty cpuset takes no task.
        for key in cpuset.cpus cpuset.mems; do
            if [ -e "$target/$key" ] && [ -z "$(cat "$target/$key")" ]; then
                cat "${hierarchy}$key" > "$target/$key" || return 1
            fi
        done
        echo $$ > "$target/cgroup.procs" || return 1
    done
}
# A libvirtd outside the pod outlives its container when the container is
# killed without SIGTERM (a forced delete, an expired grace period), and it
# holds the host's /run/libvirt pid files: stop it, and wait, before
# starting. Its guests keep running; this libvirtd reconnects to them.
stop_running_libvirtd() {
    pkill -TERM -x libvirtd || return 0
    waited=0
    while pgrep -x libvirtd > /dev/null && [ "$waited" -lt 30 ]; do
        sleep 1
        waited=$((waited + 1))
    done
    pkill -KILL -x libvirtd || true
}
stop_running_libvirtd
if ! leave_pod_cgroups; then
    echo "libvirtd.sh: could not leave the pod's cgroups; guests will stop with this pod" >&2
fi
exec /usr/sbin/libvirtd

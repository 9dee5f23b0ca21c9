"""up, down, status and kubeconfig: the single-node cluster's life cycle.

`up` does what kubeadm would on one node, with host processes instead of
static pods: certificates, etcd, the API server, the controller manager and
the scheduler, then containerd, the kubelet and kube-proxy, then CoreDNS and
a pool of hostPath volumes. Each step is skipped when already done, so `up`
also repairs a half-started cluster. `down` leaves no process, mount, network
namespace or iptables rule of the cluster behind; only the cache stays.

The control plane's part (certificates, etcd, the API server, the controller
manager, the scheduler) is written for any ControlPlane: the scale test
(osh_live.scale) runs a second one beside the live cluster, on other ports
and in other directories, with no node of its own.
"""
from __future__ import annotations

import json
import os
import shutil
import ssl
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from osh_live import addons, containerd, daemons, gobuild, host, imageload, lvm, network, paths, pki
from osh_live.proc import LiveError, output, run, say

NODE = "osh-live"
API_PORT = 6443
CLUSTER_DOMAIN = "cluster.local"

# Stop order: what uses the API first, the store last.
CONTROL_STOP_ORDER = ("kube-scheduler", "kube-controller-manager", "kube-apiserver", "etcd")
_STOP_ORDER = ("kube-proxy", "kubelet") + CONTROL_STOP_ORDER


@dataclass(frozen=True)
class ControlPlane:
    """A control plane on this host: its directories, its ports, and its node if it has one."""
    name: str
    state: Path
    run: Path
    etcd_port: int  # clients; peers on the next port, metrics on the one after
    api_port: int
    controller_manager_port: int
    scheduler_port: int
    node: str | None = None  # the kubelet's node, whose certificates `up` issues
    controller_manager_args: tuple[str, ...] = ()

    @property
    def logs(self) -> Path:
        return self.state / "logs"

    @property
    def pki(self) -> Path:
        return self.state / "pki"

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.api_port}"

    def kubeconfig(self, user: str = "admin") -> Path:
        return self.state / f"{user}.kubeconfig"

    def daemon(self, name: str, argv: tuple[str, ...]) -> daemons.Daemon:
        return daemons.Daemon(name, argv, run_dir=self.run, log_dir=self.logs)

    def pid_of(self, name: str) -> int | None:
        return daemons.pid_of(name, self.run)

    def stop(self, name: str) -> bool:
        return daemons.stop(name, run_dir=self.run)

    def kubectl(self, *args: str, **kwargs) -> str:
        return output([kubectl_binary(), "--kubeconfig", self.kubeconfig(), *args], **kwargs)

    def owns(self, argv: str) -> bool:
        """Whether a process's command line names one of this control plane's directories."""
        return f"{self.state}/" in argv or f"{self.run}/" in argv


LIVE = ControlPlane(NODE, paths.STATE, paths.RUN, etcd_port=2379, api_port=API_PORT,
                    controller_manager_port=10257, scheduler_port=10259, node=NODE)
# The scale test's (osh_live.scale): simulated nodes only, so no node here.
# KWOK renews their Leases less often than a kubelet (osh_live.scale), so
# the node lifecycle controller waits longer before it calls one lost.
SCALE = ControlPlane("osh-live-scale", paths.SCALE_STATE, paths.SCALE_RUN, etcd_port=12379,
                     api_port=16443, controller_manager_port=20257, scheduler_port=20259,
                     controller_manager_args=("--node-monitor-grace-period=10m",))


def add_arguments(parser, name: str) -> None:
    if name == "up":
        parser.add_argument("--no-wait", action="store_true",
                            help="return once the processes run, without waiting for Ready")


def main(args) -> int:
    return {"up": up, "down": down, "status": status, "kubeconfig": print_kubeconfig}[args.command](args)


def pki_dir() -> Path:
    return LIVE.pki


def admin_kubeconfig() -> Path:
    return LIVE.kubeconfig()


def kubectl(*args: str, **kwargs) -> str:
    return LIVE.kubectl(*args, **kwargs)


def kubectl_binary() -> Path:
    return gobuild.KUBERNETES.bin_dir() / "kubectl"


# --- up ---------------------------------------------------------------------

def up(args) -> int:
    started = time.monotonic()
    host.ensure_packages(host.CLUSTER_PACKAGES)
    host.ensure_podman()
    network.prepare_host()
    k8s = gobuild.build(gobuild.KUBERNETES)
    etcd_bin = gobuild.build(gobuild.ETCD)
    gobuild.build(gobuild.CRI_TOOLS)
    for directory in (paths.STATE, paths.RUN, paths.LOGS):
        directory.mkdir(parents=True, exist_ok=True)
    node_ip = network.host_ip()
    certs = certificates(LIVE, node_ip)

    config = containerd.config(addons.PAUSE_IMAGE, network.cni_conf_dir())
    network.write_cni_config()
    daemons.start(containerd.daemon(config))
    wait_for("containerd", lambda: containerd.address().exists() and _ctr_ready(), 30)
    imageload.load(addons.build_images(), str(containerd.address()))

    start_control_plane(LIVE, k8s, etcd_bin, certs, node_ip)
    daemons.start(_kubelet(k8s, certs, node_ip))
    daemons.start(_kube_proxy(k8s, certs))

    addons.apply(kubectl_binary(), admin_kubeconfig())
    if not args.no_wait:
        wait_for("node Ready", _node_ready, 180)
        kubectl("-n", "kube-system", "rollout", "status", "deployment/coredns", "--timeout=180s")
    say(f"up in {time.monotonic() - started:.0f} s; kubeconfig: {admin_kubeconfig()}")
    return 0


def start_control_plane(plane: ControlPlane, k8s: Path, etcd_bin: Path,
                        certs: dict[str, Path], node_ip: str) -> None:
    """etcd, then the API server once etcd answers, then the controller manager and scheduler."""
    daemons.start(_etcd(etcd_bin, certs, plane))
    wait_for("etcd", lambda: _etcd_healthy(plane), 60, plane.logs)
    daemons.start(_apiserver(k8s, certs, node_ip, plane))
    wait_for("kube-apiserver", lambda: apiserver_ready(plane), 120, plane.logs)
    daemons.start(_controller_manager(k8s, certs, plane))
    daemons.start(_scheduler(k8s, certs, plane))


def certificates(plane: ControlPlane, node_ip: str) -> dict[str, Path]:
    directory = plane.pki
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    ca = pki.ca(directory, "ca", f"{plane.name}-kubernetes-ca")
    etcd_ca = pki.ca(directory, "etcd-ca", f"{plane.name}-etcd-ca")
    issued = {
        "apiserver": pki.issue(directory, ca, pki.Identity(
            "apiserver", "kube-apiserver", server=True, client=False, sans=(
                "kubernetes", "kubernetes.default", "kubernetes.default.svc",
                f"kubernetes.default.svc.{CLUSTER_DOMAIN}", "localhost", plane.name,
                "127.0.0.1", node_ip, network.KUBERNETES_SERVICE_IP))),
        # The API server calling kubelets (logs, exec): the default RBAC has
        # no narrower role it could be bound to without a binding of our own.
        "apiserver-kubelet-client": pki.issue(directory, ca, pki.Identity(
            "apiserver-kubelet-client", "kube-apiserver-kubelet-client", "system:masters")),
        "apiserver-etcd-client": pki.issue(directory, etcd_ca, pki.Identity(
            "apiserver-etcd-client", "kube-apiserver-etcd-client")),
        "etcd-server": pki.issue(directory, etcd_ca, pki.Identity(
            "etcd-server", "etcd", server=True, client=True, sans=("localhost", "127.0.0.1"))),
        "admin": pki.issue(directory, ca, pki.Identity("admin", "kubernetes-admin", "system:masters")),
        "controller-manager": pki.issue(directory, ca, pki.Identity(
            "controller-manager", "system:kube-controller-manager")),
        "scheduler": pki.issue(directory, ca, pki.Identity("scheduler", "system:kube-scheduler")),
    }
    kubeconfigs = {
        "admin": ("admin", "kubernetes-admin"),
        "controller-manager": ("controller-manager", "system:kube-controller-manager"),
        "scheduler": ("scheduler", "system:kube-scheduler"),
    }
    if plane.node:
        node = plane.node
        issued |= {
            "kubelet-client": pki.issue(directory, ca, pki.Identity(
                "kubelet-client", f"system:node:{node}", "system:nodes")),
            "kubelet-server": pki.issue(directory, ca, pki.Identity(
                "kubelet-server", node, server=True, client=False, sans=(node, "127.0.0.1", node_ip))),
            "kube-proxy": pki.issue(directory, ca, pki.Identity("kube-proxy", "system:kube-proxy")),
        }
        kubeconfigs |= {"kubelet": ("kubelet-client", f"system:node:{node}"),
                        "kube-proxy": ("kube-proxy", "system:kube-proxy")}
    files = {"ca.crt": ca[0], "ca.key": ca[1], "etcd-ca.crt": etcd_ca[0]}
    for name, (stem, user) in kubeconfigs.items():
        cert, key = issued[stem]
        files[f"{name}.kubeconfig"] = pki.kubeconfig(
            plane.kubeconfig(name), plane.server, ca[0], cert, key, user)
    for stem, (cert, key) in issued.items():
        files[f"{stem}.crt"], files[f"{stem}.key"] = cert, key
    files["sa.key"], files["sa.pub"] = pki.service_account_keys(directory)
    return files


def _etcd(binaries: Path, certs: dict[str, Path], plane: ControlPlane) -> daemons.Daemon:
    client, peer, metrics = (f"127.0.0.1:{plane.etcd_port + i}" for i in range(3))
    return plane.daemon("etcd", (
        str(binaries / "etcd"), "--name", plane.name, "--data-dir", str(plane.state / "etcd"),
        "--listen-client-urls", f"https://{client}",
        "--advertise-client-urls", f"https://{client}",
        # One member: peers never connect, so the peer URL stays on loopback.
        "--listen-peer-urls", f"http://{peer}",
        "--initial-advertise-peer-urls", f"http://{peer}",
        "--initial-cluster", f"{plane.name}=http://{peer}",
        "--listen-metrics-urls", f"http://{metrics}",
        "--cert-file", str(certs["etcd-server.crt"]), "--key-file", str(certs["etcd-server.key"]),
        "--client-cert-auth", "--trusted-ca-file", str(certs["etcd-ca.crt"]),
        # Room for a scale test's thousands of objects (the default is 2 GiB).
        "--quota-backend-bytes", str(8 * 1024 ** 3),
        "--snapshot-count", "10000"))


def _apiserver(binaries: Path, certs: dict[str, Path], node_ip: str,
               plane: ControlPlane) -> daemons.Daemon:
    return plane.daemon("kube-apiserver", (
        str(binaries / "kube-apiserver"),
        "--advertise-address", node_ip, "--secure-port", str(plane.api_port),
        # Pods on the node reach it through its address; a plane without a
        # node is reached from this host alone.
        "--bind-address", "0.0.0.0" if plane.node else "127.0.0.1",
        "--etcd-servers", f"https://127.0.0.1:{plane.etcd_port}",
        "--etcd-cafile", str(certs["etcd-ca.crt"]),
        "--etcd-certfile", str(certs["apiserver-etcd-client.crt"]),
        "--etcd-keyfile", str(certs["apiserver-etcd-client.key"]),
        "--client-ca-file", str(certs["ca.crt"]),
        "--tls-cert-file", str(certs["apiserver.crt"]),
        "--tls-private-key-file", str(certs["apiserver.key"]),
        "--kubelet-client-certificate", str(certs["apiserver-kubelet-client.crt"]),
        "--kubelet-client-key", str(certs["apiserver-kubelet-client.key"]),
        "--kubelet-certificate-authority", str(certs["ca.crt"]),
        "--kubelet-preferred-address-types", "InternalIP,Hostname",
        "--service-account-issuer", f"https://kubernetes.default.svc.{CLUSTER_DOMAIN}",
        "--service-account-key-file", str(certs["sa.pub"]),
        "--service-account-signing-key-file", str(certs["sa.key"]),
        "--service-cluster-ip-range", network.SERVICE_CIDR,
        "--authorization-mode", "Node,RBAC",
        "--enable-admission-plugins", "NodeRestriction",
        # The OpenStack node agents (OVS, libvirt, the L3 agent) are privileged.
        "--allow-privileged=true",
        "--profiling=false"))


def _controller_manager(binaries: Path, certs: dict[str, Path],
                        plane: ControlPlane) -> daemons.Daemon:
    kubeconfig = str(plane.kubeconfig("controller-manager"))
    return plane.daemon("kube-controller-manager", (
        str(binaries / "kube-controller-manager"),
        "--kubeconfig", kubeconfig,
        "--authentication-kubeconfig", kubeconfig, "--authorization-kubeconfig", kubeconfig,
        "--bind-address", "127.0.0.1", "--secure-port", str(plane.controller_manager_port),
        "--leader-elect=false",
        "--service-account-private-key-file", str(certs["sa.key"]),
        "--root-ca-file", str(certs["ca.crt"]),
        "--cluster-signing-cert-file", str(certs["ca.crt"]),
        "--cluster-signing-key-file", str(certs["ca.key"]),
        "--use-service-account-credentials",
        "--service-cluster-ip-range", network.SERVICE_CIDR,
        # Pod addresses come from the bridge's host-local range (and from
        # KWOK's own for simulated nodes), not from per-node CIDRs.
        "--allocate-node-cidrs=false",
        "--profiling=false", *plane.controller_manager_args))


def _scheduler(binaries: Path, certs: dict[str, Path], plane: ControlPlane) -> daemons.Daemon:
    kubeconfig = str(plane.kubeconfig("scheduler"))
    return plane.daemon("kube-scheduler", (
        str(binaries / "kube-scheduler"), "--kubeconfig", kubeconfig,
        "--authentication-kubeconfig", kubeconfig, "--authorization-kubeconfig", kubeconfig,
        "--bind-address", "127.0.0.1", "--secure-port", str(plane.scheduler_port),
        "--leader-elect=false", "--profiling=false"))


def _kubelet(binaries: Path, certs: dict[str, Path], node_ip: str) -> daemons.Daemon:
    config = paths.STATE / "kubelet-config.yaml"
    paths.write_config(config, json.dumps({
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "authentication": {"anonymous": {"enabled": False}, "webhook": {"enabled": True},
                           "x509": {"clientCAFile": str(certs["ca.crt"])}},
        "authorization": {"mode": "Webhook"},
        "cgroupDriver": "cgroupfs",
        # This machine's cgroup layout is v1/hybrid: say that we know.
        "failCgroupV1": False,
        "clusterDNS": [network.DNS_SERVICE_IP],
        "clusterDomain": CLUSTER_DOMAIN,
        "containerRuntimeEndpoint": f"unix://{containerd.address()}",
        "failSwapOn": False,
        "tlsCertFile": str(certs["kubelet-server.crt"]),
        "tlsPrivateKeyFile": str(certs["kubelet-server.key"]),
        "resolvConf": "/etc/resolv.conf",
        # A whole region on one node: more pods than the default 110.
        "maxPods": 300,
        "serializeImagePulls": False,
        # The images are built here and cannot be pulled again: never
        # collect them, and never evict pods for a disk that the image
        # builds share (the defaults would at 85 % and 10 % free).
        "imageGCHighThresholdPercent": 100,
        "imageGCLowThresholdPercent": 99,
        "evictionHard": {"memory.available": "200Mi", "nodefs.available": "1%",
                         "imagefs.available": "1%", "nodefs.inodesFree": "1%"},
    }, indent=1))
    return daemons.Daemon("kubelet", (
        str(binaries / "kubelet"), "--config", str(config),
        "--kubeconfig", str(paths.STATE / "kubelet.kubeconfig"),
        "--root-dir", str(paths.STATE / "kubelet"),
        "--hostname-override", NODE, "--node-ip", node_ip))


def _kube_proxy(binaries: Path, certs: dict[str, Path]) -> daemons.Daemon:
    config = paths.STATE / "kube-proxy-config.yaml"
    paths.write_config(config, json.dumps({
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
        "kind": "KubeProxyConfiguration",
        "clientConnection": {"kubeconfig": str(paths.STATE / "kube-proxy.kubeconfig")},
        "mode": "iptables",
        "clusterCIDR": network.CLUSTER_CIDR,
        "hostnameOverride": NODE,
        # Leave the host's conntrack table size alone.
        "conntrack": {"maxPerCore": 0},
        "metricsBindAddress": "127.0.0.1:10249",
        "healthzBindAddress": "127.0.0.1:10256",
    }, indent=1))
    return daemons.Daemon("kube-proxy", (str(binaries / "kube-proxy"), "--config", str(config)))


def wait_for(what: str, ready, timeout: float, logs: Path = paths.LOGS) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if ready():
                return
        except Exception:  # not up yet: connection refused, no socket, ...
            pass
        if time.monotonic() > deadline:
            raise LiveError(f"{what} not ready after {timeout:.0f} s; logs in {logs}")
        time.sleep(0.5)


def _ctr_ready() -> bool:
    containerd.ctr("version")
    return True


def _etcd_healthy(plane: ControlPlane) -> bool:
    url = f"http://127.0.0.1:{plane.etcd_port + 2}/health"
    with urllib.request.urlopen(url, timeout=2) as response:
        return json.load(response).get("health") == "true"


def _api_context(plane: ControlPlane) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(plane.pki / "ca.crt"))
    context.load_cert_chain(str(plane.pki / "admin.crt"), str(plane.pki / "admin.key"))
    return context


def apiserver_ready(plane: ControlPlane) -> bool:
    request = urllib.request.Request(f"{plane.server}/readyz")
    with urllib.request.urlopen(request, context=_api_context(plane), timeout=3) as response:
        return response.read().strip() == b"ok"


def _node_ready() -> bool:
    node = json.loads(kubectl("get", "node", NODE, "-o", "json"))
    return any(c["type"] == "Ready" and c["status"] == "True" for c in node["status"]["conditions"])


# --- down -------------------------------------------------------------------

def down(args) -> int:
    started = time.monotonic()
    # The kubelet first, so that it restarts nothing; then the pods through
    # the CRI, so that the CNI plugins release their addresses and rules.
    daemons.stop("kubelet")
    if daemons.pid_of("containerd"):
        crictl = gobuild.CRI_TOOLS.bin_dir() / "crictl"
        if crictl.exists():
            endpoint = f"unix://{containerd.address()}"
            run([crictl, "--runtime-endpoint", endpoint, "--timeout", "60s", "rmp", "--all", "--force"],
                check=False)
    for name in _STOP_ORDER:
        daemons.stop(name)
    proxy = gobuild.KUBERNETES.bin_dir() / "kube-proxy"
    if proxy.exists():
        run([proxy, "--cleanup"], check=False, quiet=True)
    daemons.stop("containerd")
    _kill_shims()
    _unmount_all()
    network.sweep()
    _remove_cgroups()
    lvm.detach()
    for directory in (paths.STATE, paths.RUN):
        shutil.rmtree(directory, ignore_errors=True)
    leftovers = leftover_report()
    if leftovers:
        raise LiveError("down left these behind:\n  " + "\n  ".join(leftovers))
    say(f"down in {time.monotonic() - started:.0f} s: no process, mount, namespace or rule left")
    return 0


def command_lines():
    """(pid, command line) of every process but this one, kernel threads left out."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        text = " ".join(a.decode(errors="replace") for a in argv if a)
        if text:
            yield int(entry.name), text


def _our_processes() -> list[tuple[int, str]]:
    """Processes of the cluster: its binaries, containerd's shims for our socket,
    and what runs in the pods' cgroups or libvirt's.

    The scale test's control plane runs the same binaries: it is not ours.
    """
    ours = []
    roots = (str(paths.CACHE / "bin"), str(paths.STATE), str(paths.RUN))
    for pid, text in command_lines():
        if SCALE.owns(text):
            continue
        if any(text.startswith(root) for root in roots) or (
                str(containerd.address()) in text or str(paths.RUN / "containerd") in text):
            ours.append((pid, text))
            continue
        try:
            cgroups = Path(f"/proc/{pid}/cgroup").read_text()
        except OSError:
            continue
        # A container of a pod; or the region's libvirtd, which leaves its
        # pod's cgroups for /osh-libvirt, and its guests (charts/nova/files/libvirtd.sh).
        if "/kubepods" in cgroups or ":/osh-libvirt" in cgroups:
            ours.append((pid, text))
    return ours


def _kill_shims() -> None:
    """Whatever survived an orderly stop: shims, and processes of pods."""
    for pid, _ in _our_processes():
        if pid != os.getpid():
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and [p for p, _ in _our_processes() if p != os.getpid()]:
        time.sleep(0.1)


def _our_mounts() -> list[str]:
    prefixes = tuple(str(p) + "/" for p in (paths.STATE, paths.RUN, paths.CACHE / "containerd"))
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        target = line.split()[4].replace("\\040", " ")
        if target.startswith(prefixes) or target.startswith("/run/netns/cni-"):
            found.append(target)
    return found


def _unmount_all() -> None:
    # Deepest first; lazily, as a mount may still be busy for a moment.
    for target in sorted(set(_our_mounts()), key=lambda t: t.count("/"), reverse=True):
        run(["umount", "--lazy", target], check=False, quiet=True)


def _remove_cgroups() -> None:
    """The kubelet's cgroups (kubepods, ...), and libvirt's (osh-libvirt, where
    the region's libvirtd runs, and machine, its guests'): empty once the pods
    and guests are gone."""
    base = Path("/sys/fs/cgroup")
    for controller in base.iterdir():
        for top in ("kubepods", "kubepods.slice", "osh-libvirt", "machine"):
            tree = controller / top
            if tree.is_dir():
                for directory in sorted(tree.rglob("*"), key=lambda p: len(p.parts), reverse=True):
                    if directory.is_dir():
                        try:
                            directory.rmdir()
                        except OSError:
                            pass
                try:
                    tree.rmdir()
                except OSError:
                    pass


def leftover_report() -> list[str]:
    """Everything of the cluster still on the host (empty when `down` is complete)."""
    report = [f"process {pid}: {text[:120]}" for pid, text in _our_processes() if pid != os.getpid()]
    report += [f"mount {target}" for target in _our_mounts()]
    report += [f"network namespace {name}" for name in network.cni_namespaces()]
    for (command, table), chains in network.our_chains().items():
        report.append(f"{command} table {table}: chains {', '.join(chains[:5])}"
                      + (" ..." if len(chains) > 5 else ""))
    if Path(f"/sys/class/net/{network.BRIDGE}").exists():
        report.append(f"link {network.BRIDGE}")
    return report


# --- status, kubeconfig -------------------------------------------------------

def status(args) -> int:
    running = 0
    for name in ("containerd",) + _STOP_ORDER[::-1]:
        pid = daemons.pid_of(name)
        running += bool(pid)
        print(f"{name:24} {'running, pid ' + str(pid) if pid else 'stopped'}")
    if daemons.pid_of("kube-apiserver"):
        try:
            print(kubectl("get", "nodes", "-o", "wide"))
        except LiveError as error:
            print(f"API server not answering: {error}")
    print(f"kubeconfig: {admin_kubeconfig()}" if admin_kubeconfig().exists() else "no cluster state")
    print(f"cache: {paths.CACHE}")
    return 0 if running == len(_STOP_ORDER) + 1 else 3


def print_kubeconfig(args) -> int:
    if not admin_kubeconfig().exists():
        raise LiveError("no cluster: run `tools/live up` first")
    print(admin_kubeconfig())
    return 0

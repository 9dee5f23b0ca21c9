"""Every upstream version the live cluster builds or runs, in one place.

A change here is a new cache key: the next `tools/live up` rebuilds what
depends on it and leaves the old build in the cache.
"""

# 1.34: the last release whose kubelet accepts this machine's cgroup v1
# layout without an opt-in (1.35 refuses it by default).
KUBERNETES = "v1.34.4"
# The etcd release Kubernetes 1.34 is tested with (its go.mod pins the client).
ETCD = "v3.6.4"
# The CoreDNS release kubeadm 1.34 deploys.
COREDNS = "v1.12.1"
# KWOK's simulated nodes for the scale test.
KWOK = "v0.7.0"

# kolla-build of the 2025.1 (Epoxy) series.
KOLLA = "20.6.0"
OPENSTACK_SERIES = "2025.1"
# crictl, to stop the cluster's pods through the CRI as the kubelet would.
CRI_TOOLS = "v1.34.0"
# The pod sandbox image, compiled from Kubernetes' own pause.c.
PAUSE = "3.10.1"

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

# The tools kolla-build runs with, in its own venv (osh_live.kollaenv): the
# podman API client kolla-build's podman engine imports, and a pip whose
# resolver can leave out what was uploaded after a date (the constraints).
PODMAN_CLIENT = "5.8.0"
PIP = "26.3"
# The 2025.1 release date: the day the series' libraries are read at
# (osh_live.constraints).
OPENSTACK_RELEASE_DATE = "2025-04-02"

# Kolla's sources, each from the PyPI sdist of its 2025.1 (Epoxy) release:
# kolla-build source section -> requirement (osh_live.sources). Only the
# plugins of services the region runs are listed; Kolla's other plugin
# sections of the images built are switched off (osh_live.kollaconfig).
KOLLA_SOURCES = {
    "keystone-base": "keystone>=27,<28",
    "nova-base": "nova>=31,<32",
    "placement-base": "openstack-placement>=13,<14",
    "neutron-base": "neutron>=26,<27",
    "neutron-base-plugin-networking-baremetal": "networking-baremetal>=6.5,<6.6",
    "glance-base": "glance>=30,<31",
    "cinder-base": "cinder>=26,<27",
    "manila-base": "manila>=20,<21",
    "barbican-base": "barbican>=20,<21",
    "designate-base": "designate>=20,<21",
    "horizon": "horizon>=25.3,<25.4",
    "horizon-plugin-designate-dashboard": "designate-dashboard>=20,<21",
    "horizon-plugin-manila-ui": "manila-ui>=13,<14",
    "horizon-plugin-ironic-ui": "ironic-ui>=6.5,<6.6",
    "ironic-base": "ironic>=29,<30",
}
# Build tools as the 2025.1 series had them, for every pip run of the image
# builds and of the constraints' resolution. setuptools 82 dropped
# pkg_resources, which sdists of 2025.1's dependencies (Horizon's XStatic
# namespace packages) still import to build, and some libraries at run time.
PIP_BUILD_CONSTRAINTS = ["setuptools<82"]

"""osh-postrender: the Helm post-renderer of openstack-helm."""

__version__ = "0.1.0"

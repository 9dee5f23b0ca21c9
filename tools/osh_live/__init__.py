"""The live cluster: Kubernetes from upstream sources and Kolla images from
kolla-build, run on this machine so that the charts are tested by running them.

Everything built is cached outside the work tree (`paths.CACHE`), keyed by
version; the running cluster keeps its state under `paths.STATE`.
"""

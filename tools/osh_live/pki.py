"""The cluster's certificates and kubeconfigs, as kubeadm would lay them out.

Two CAs (Kubernetes and etcd), a serving certificate for the API server and
etcd, a client certificate for each component with the user and group that
Kubernetes' default RBAC bindings expect (system:kube-scheduler,
system:node:<node> in system:nodes, ...), and the service-account key pair.
Keys are ECDSA P-256 and never leave STATE/pki (mode 0600).
"""
from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from osh_live import paths
from osh_live.proc import run

DAYS = "3650"


@dataclass(frozen=True)
class Identity:
    """A certificate to issue: its file stem, subject and alternative names."""
    stem: str
    common_name: str
    organization: str | None = None
    sans: tuple[str, ...] = ()
    server: bool = False
    client: bool = True


def _openssl_config(identity: Identity) -> str:
    usages = []
    if identity.server:
        usages.append("serverAuth")
    if identity.client:
        usages.append("clientAuth")
    lines = ["[req]", "distinguished_name = dn", "prompt = no", "[dn]",
             f"CN = {identity.common_name}"]
    if identity.organization:
        lines.append(f"O = {identity.organization}")
    lines += ["[ext]", "basicConstraints = critical,CA:FALSE",
              "keyUsage = critical,digitalSignature,keyEncipherment",
              f"extendedKeyUsage = {','.join(usages)}"]
    if identity.sans:
        names = []
        for san in identity.sans:
            try:
                ipaddress.ip_address(san)
                names.append(f"IP:{san}")
            except ValueError:
                names.append(f"DNS:{san}")
        lines.append(f"subjectAltName = {','.join(names)}")
    return "\n".join(lines) + "\n"


def _key(path: Path) -> None:
    run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-out", path], quiet=True)
    os.chmod(path, 0o600)


def ca(directory: Path, stem: str, common_name: str) -> tuple[Path, Path]:
    """A self-signed CA (made once; kept while the cluster's state lives)."""
    cert, key = directory / f"{stem}.crt", directory / f"{stem}.key"
    if not cert.exists():
        _key(key)
        run(["openssl", "req", "-x509", "-new", "-key", key, "-sha256", "-days", DAYS,
             "-subj", f"/CN={common_name}", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
             "-out", cert], quiet=True)
    return cert, key


def issue(directory: Path, authority: tuple[Path, Path], identity: Identity) -> tuple[Path, Path]:
    """A certificate signed by `authority` for `identity` (made once)."""
    cert, key = directory / f"{identity.stem}.crt", directory / f"{identity.stem}.key"
    if cert.exists():
        return cert, key
    config = directory / f"{identity.stem}.cnf"
    config.write_text(_openssl_config(identity))
    csr = directory / f"{identity.stem}.csr"
    _key(key)
    run(["openssl", "req", "-new", "-key", key, "-config", config, "-out", csr], quiet=True)
    run(["openssl", "x509", "-req", "-in", csr, "-CA", authority[0], "-CAkey", authority[1],
         "-CAcreateserial", "-sha256", "-days", DAYS, "-extfile", config, "-extensions", "ext",
         "-out", cert], quiet=True)
    csr.unlink()
    config.unlink()
    return cert, key


def service_account_keys(directory: Path) -> tuple[Path, Path]:
    private, public = directory / "sa.key", directory / "sa.pub"
    if not public.exists():
        _key(private)
        run(["openssl", "pkey", "-in", private, "-pubout", "-out", public], quiet=True)
    return private, public


def kubeconfig(path: Path, server: str, ca_cert: Path, cert: Path, key: Path, user: str) -> Path:
    """A kubeconfig naming the files (not embedding them), like kubeadm's with --cert-dir."""
    text = (
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: osh-live\n  cluster:\n    server: {server}\n"
        f"    certificate-authority: {ca_cert}\n"
        f"users:\n- name: {user}\n  user:\n    client-certificate: {cert}\n    client-key: {key}\n"
        f"contexts:\n- name: {user}@osh-live\n  context:\n    cluster: osh-live\n    user: {user}\n"
        f"current-context: {user}@osh-live\n")
    paths.write_config(path, text)
    os.chmod(path, 0o600)
    return path

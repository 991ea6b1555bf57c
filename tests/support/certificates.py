"""A throwaway certificate authority and a server certificate it signs, made with openssl.

For servers on loopback that a client must *verify* (the relay checks its SMTP server's
certificate against a CA file): the server presents ``server_cert`` for the address
127.0.0.1 (not the name localhost), signed by ``ca_cert``, which no system store trusts.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Certificates:
    ca_cert: Path
    server_cert: Path
    server_key: Path


def make_certificates(folder: Path) -> Certificates:
    """A CA and a server certificate (for the address 127.0.0.1 only) in ``folder``.

    Raises:
        RuntimeError: openssl is not installed (scripts/test installs it).
    """
    if shutil.which("openssl") is None:
        raise RuntimeError("openssl is not installed: cannot make test certificates")
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = folder / "ca.key", folder / "ca.pem"
    key, csr, cert = folder / "server.key", folder / "server.csr", folder / "server.pem"
    extensions = folder / "server.ext"
    extensions.write_text(
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
        "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n"
    )

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)

    # ECDSA P-256, as a deployment's balancer should present (deploy/README.md): signing a
    # handshake costs ~0.03 ms against RSA-2048's ~0.7 ms, which a failover's burst of
    # reconnects pays once per client.
    new_key = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1")
    openssl("req", "-x509", *new_key, "-nodes", "-days", "2",
            "-subj", "/CN=RemoteSales Test CA", "-keyout", str(ca_key), "-out", str(ca_cert),
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")  # fmt: skip
    openssl("req", *new_key, "-nodes", "-subj", "/CN=127.0.0.1",
            "-keyout", str(key), "-out", str(csr))  # fmt: skip
    openssl("x509", "-req", "-in", str(csr), "-CA", str(ca_cert), "-CAkey", str(ca_key),
            "-CAcreateserial", "-days", "2", "-out", str(cert),
            "-extfile", str(extensions))  # fmt: skip
    return Certificates(ca_cert, cert, key)

"""Test PKI for the CRL runs (Python cryptography, ECDSA P-256):
root.pem (self-signed CA, no CDP); leaf-cdp.pem (localhost/127.0.0.1, CRL distribution point
http://127.0.0.1:9/pki/leaf.crl — a closed loopback port); leaf-nocdp.pem (same, no CDP)."""
import datetime, ipaddress, sys, os
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
out = sys.argv[1]
now = datetime.datetime.now(datetime.timezone.utc)
def key(): return ec.generate_private_key(ec.SECP256R1())
def save(name, cert, k):
    open(os.path.join(out, name + ".pem"), "wb").write(cert.public_bytes(serialization.Encoding.PEM))
    open(os.path.join(out, name + ".key"), "wb").write(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
rk = key(); rn = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "repro15 test root")])
root = (x509.CertificateBuilder().subject_name(rn).issuer_name(rn).public_key(rk.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(rk.public_key()), critical=False)
        .sign(rk, hashes.SHA256()))
save("root", root, rk)
for name, cdp in (("leaf-cdp", "http://127.0.0.1:9/pki/leaf.crl"), ("leaf-nocdp", None)):
    lk = key()
    b = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
         .issuer_name(rn).public_key(lk.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=20))
         .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
         .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
         .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(rk.public_key()), critical=False))
    if cdp:
        b = b.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint([x509.UniformResourceIdentifier(cdp)], None, None, None)]), critical=False)
    save(name, b.sign(rk, hashes.SHA256()), lk)
print("ok")

"""The local CA's certificates: what C2PA asks of a signing certificate, as c2pa-python's own docs say (a leaf
with digitalSignature and emailProtection, issued by a CA that is not itself), named as local."""

from datetime import UTC, datetime

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from sfumato.credentials.authority import make_pair
from sfumato.credentials.identity import load_identity

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_the_signing_certificate_is_what_c2pa_asks_for_and_says_it_is_local() -> None:
    ca_pem, chain_pem, key_pem = make_pair(NOW)
    leaf, ca = x509.load_pem_x509_certificates(chain_pem)
    assert x509.load_pem_x509_certificate(ca_pem) == ca
    assert leaf.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    extended = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in extended
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert leaf.issuer == ca.subject != leaf.subject
    identity = load_identity(chain_pem, key_pem, NOW, local=True)
    assert "local" in identity.issuer and "local" in identity.subject
    assert identity.algorithm == "es256" and identity.anchors_pem == ca_pem
    assert identity.not_after.year == 2036  # ten years: no timestamp authority extends a signature's life


def test_an_organization_names_both_certificates() -> None:
    _, chain_pem, _ = make_pair(NOW, "Example Studio (local, not publicly trusted)")
    for certificate in x509.load_pem_x509_certificates(chain_pem):
        (organization,) = certificate.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)
        assert organization.value == "Example Studio (local, not publicly trusted)"

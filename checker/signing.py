"""Ed25519 keys and DSSE signatures for the evidence export, through securesystemslib and
cryptography (never hand-rolled cryptography).

- Keys are standard files: the private key PKCS#8 PEM (optionally encrypted with a
  passphrase), the public key SubjectPublicKeyInfo PEM, so OpenSSL, cosign and any in-toto
  tooling read them as they are.
- A key's fingerprint is the SHA-256 of its public key in DER (SubjectPublicKeyInfo), hex:
  `openssl pkey -pubin -in KEY.pub -outform DER | sha256sum` prints the same value, so a
  fingerprint read out over the phone can be checked without dxguard. It is also the keyid of
  the signatures dxguard makes.
- `sign_envelope` signs a payload as a DSSE envelope (securesystemslib.dsse, PAE as the DSSE
  spec defines it); `verify_envelope` checks one against a public key and says why it fails.

No file layout, no export logic: checker/export/ decides what is signed.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.errors import UsageError

INTOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"


class KeyFileError(UsageError):
    """A key file that cannot be used (missing, unreadable, not Ed25519, wrong passphrase)."""

    kind = "key error"


@dataclass(frozen=True)
class PublicKey:
    """An Ed25519 public key: its PEM text and fingerprint (hex SHA-256 of the DER SPKI)."""

    pem: bytes
    fingerprint: str

    @property
    def display(self) -> str:
        """The fingerprint in groups of four, for reading out and comparing by eye."""
        return " ".join(self.fingerprint[i : i + 4] for i in range(0, 64, 4))

    def sslib_key(self) -> Any:
        from cryptography.hazmat.primitives.serialization import load_pem_public_key
        from securesystemslib.signer import SSlibKey

        return SSlibKey.from_crypto(load_pem_public_key(self.pem), self.fingerprint, "ed25519")


def _fingerprint(public_key: Any) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    der = public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def _public(public_key: Any) -> PublicKey:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    pem = public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    return PublicKey(pem, _fingerprint(public_key))


@dataclass(frozen=True)
class KeyPair:
    private_pem: bytes
    public: PublicKey


def generate(passphrase: bytes | None = None) -> KeyPair:
    """A new Ed25519 key pair; the private key encrypted with `passphrase` when given."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        BestAvailableEncryption,
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    key = Ed25519PrivateKey.generate()
    encryption = BestAvailableEncryption(passphrase) if passphrase else NoEncryption()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, encryption)
    return KeyPair(pem, _public(key.public_key()))


def write_key_pair(pair: KeyPair, private_path: Path, public_path: Path, force: bool) -> None:
    """Write both files; the private key readable by its owner only (0600), never over an
    existing file unless `force`."""
    for path in (private_path, public_path):
        if path.exists() and not force:
            raise UsageError(f"{path} already exists", hint="pass --force to overwrite it")
    private_path.parent.mkdir(parents=True, exist_ok=True)
    public_path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    fd = os.open(private_path, flags, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pair.private_pem)
    os.chmod(private_path, 0o600)
    public_path.write_bytes(pair.public.pem)


def load_public_key(path: str | Path) -> PublicKey:
    """A public key file (SPKI PEM, as `dxguard keygen` or `openssl pkey -pubout` write it)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    data = _read(path, "public key")
    try:
        key = load_pem_public_key(data)
    except ValueError:
        hint = "give the .pub file `dxguard keygen` wrote (PEM, BEGIN PUBLIC KEY)"
        if b"PRIVATE KEY" in data:
            hint = "this is a private key: give the public one (keep the private key secret)"
        raise KeyFileError(f"{path}: not a PEM public key", hint=hint) from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(f"{path}: not an Ed25519 key", hint="dxguard signs with Ed25519 keys")
    return _public(key)


def public_key_from_pem(data: bytes) -> PublicKey | None:
    """A public key from PEM bytes (e.g. the copy inside a bundle), or None if it is not one."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        key = load_pem_public_key(data)
    except ValueError:
        return None
    return _public(key) if isinstance(key, Ed25519PublicKey) else None


class Signer:
    """A loaded private key that signs DSSE envelopes."""

    def __init__(self, path: str | Path, passphrase: bytes | None = None):
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import load_pem_private_key
        from securesystemslib.signer import CryptoSigner, SSlibKey

        data = _read(path, "signing key")
        try:
            key = load_pem_private_key(data, passphrase)
        except TypeError:
            if passphrase is None:
                raise KeyFileError(
                    f"{path}: the key is encrypted and no passphrase was given",
                    hint="set the passphrase in the variable --passphrase-env names",
                ) from None
            raise KeyFileError(f"{path}: the key is not encrypted; drop the passphrase") from None
        except ValueError:
            raise KeyFileError(
                f"{path}: not a PEM private key, or the passphrase is wrong",
                hint="give the .key file `dxguard keygen` wrote",
            ) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyFileError(
                f"{path}: not an Ed25519 key", hint="dxguard signs with Ed25519 keys"
            )
        self.public = _public(key.public_key())
        sslib = SSlibKey.from_crypto(key.public_key(), self.public.fingerprint, "ed25519")
        self._signer = CryptoSigner(key, sslib)

    def sign_envelope(self, payload: bytes, payload_type: str = INTOTO_PAYLOAD_TYPE) -> dict:
        """The DSSE envelope (JSON form) of `payload`, signed with this key."""
        from securesystemslib.dsse import Envelope

        envelope = Envelope(payload, payload_type, {})
        envelope.sign(self._signer)
        return envelope.to_dict()


@dataclass(frozen=True)
class EnvelopeCheck:
    """What verifying an envelope found: the payload (when the envelope could be read), the
    keyids that signed it, and the problem if the signature does not verify with the key."""

    payload: bytes | None
    payload_type: str | None
    keyids: tuple[str, ...]
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def read_envelope(data: bytes) -> tuple[Any, str | None]:
    """(securesystemslib Envelope, None) or (None, what is wrong with the JSON)."""
    import orjson
    from securesystemslib.dsse import Envelope

    try:
        doc = orjson.loads(data)
        if not isinstance(doc, dict) or not isinstance(doc.get("signatures"), list):
            return None, "not a DSSE envelope (payload, payloadType, signatures)"
        return Envelope.from_dict(doc), None
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as err:
        return None, f"not a DSSE envelope: {err}"
    except Exception as err:  # noqa: BLE001 - securesystemslib's FormatError and friends
        return None, f"not a DSSE envelope: {type(err).__name__}: {err}"


def verify_envelope(data: bytes, key: PublicKey) -> EnvelopeCheck:
    """Check a DSSE envelope's signature with `key` (securesystemslib's DSSE verification:
    the signature over PAE(payloadType, payload) by the key whose keyid it names)."""
    from securesystemslib.exceptions import VerificationError

    envelope, bad = read_envelope(data)
    if envelope is None:
        return EnvelopeCheck(None, None, (), bad)
    keyids = tuple(sorted(envelope.signatures))
    if not keyids:
        return EnvelopeCheck(envelope.payload, envelope.payload_type, keyids, "it is not signed")
    if key.fingerprint not in keyids:
        named = ", ".join(k[:16] + "…" for k in keyids)
        return EnvelopeCheck(
            envelope.payload,
            envelope.payload_type,
            keyids,
            f"it was signed by key {named}, not by the trusted key {key.fingerprint[:16]}…",
        )
    try:
        envelope.verify([key.sslib_key()], 1)
    except VerificationError:
        return EnvelopeCheck(
            envelope.payload,
            envelope.payload_type,
            keyids,
            f"its signature does not verify with key {key.fingerprint[:16]}…: the signed "
            "content was altered, or the signature was made with another key",
        )
    return EnvelopeCheck(envelope.payload, envelope.payload_type, keyids, None)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _read(path: str | Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise KeyFileError(f"{path}: no such {what} file") from None
    except OSError as err:
        raise KeyFileError(f"{path}: cannot read the {what}: {err.strerror or err}") from None

"""What an image's content credentials say, once read and checked (docs/credentials.md)."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Signed:
    """Who signed a manifest: its certificate's common name and issuer, and when, if it says."""

    name: str | None
    issuer: str | None
    time: str | None = None


@dataclass(frozen=True)
class Action:
    action: str  # c2pa.created, c2pa.opened, c2pa.edited, c2pa.converted, …
    when: str | None = None
    software_agent: str | None = None
    digital_source_type: str | None = None


@dataclass(frozen=True)
class Ingredient:
    title: str | None
    relationship: str | None  # parentOf, componentOf, inputTo
    format: str | None
    has_credentials: bool  # it carried a manifest of its own
    model: str | None = None  # the model its own manifest names, if any


@dataclass(frozen=True)
class Verdict:
    """`present`: the file carries a manifest; `valid`: its signature and hashes check out (the pixels are
    those signed); `trusted`: valid, and signed by a certificate that chains to a trusted CA."""

    present: bool
    valid: bool = False
    trusted: bool = False
    signer: Signed | None = None
    model: str | None = None  # the model named by the manifest, or by its parent's, for a transform
    actions: list[Action] = field(default_factory=list)
    ingredients: list[Ingredient] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # c2pa's validation failure codes, if any

    @classmethod
    def absent(cls) -> "Verdict":
        return cls(present=False)

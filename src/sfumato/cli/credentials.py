"""`sfumato credentials show | init | verify`: content credentials (docs/credentials.md)."""

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from sfumato.cli.common import app, fail, settings_from

credentials_app = typer.Typer(
    no_args_is_help=True, help="Content credentials: who signs, a new local pair, verifying a file."
)
app.add_typer(credentials_app, name="credentials")


@credentials_app.command("show")
def show(
    ca_pem: Annotated[
        bool, typer.Option("--ca-pem", help="print only the CA certificates verifiers should trust (PEM)")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Which certificate signs (the operator's, or the local CA's), and the CA certificate to give verifiers.
    Never the key."""
    from sfumato.credentials.identity import CredentialError
    from sfumato.credentials.local import local_files
    from sfumato.domain.clock import SystemClock
    from sfumato.services.credentials import identity_of

    settings = settings_from()
    try:
        identity = identity_of(settings, SystemClock().now(), make=False)
    except CredentialError as error:
        fail(str(error))
    if identity is None:
        fail("no local pair yet: the first `sfumato serve` makes one, or `sfumato credentials init`")
    if ca_pem:
        typer.echo(identity.anchors_pem.decode(), nl=False)
        return
    shown = {
        "content_credentials": "on" if settings.content_credentials else "off",
        "signer": identity.subject,
        "issuer": identity.issuer,
        "local": identity.local,
        "folder": str(local_files(settings.data_dir).folder) if identity.local else None,
        "algorithm": identity.algorithm.upper(),
        "valid_until": identity.not_after.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "fingerprint_sha256": identity.fingerprint,
        "prompt_included": settings.c2pa_include_prompt,
        "thumbnail": settings.c2pa_thumbnail,
    }
    if as_json:
        typer.echo(json.dumps(shown))
        return
    for name, value in shown.items():
        if value is not None:
            said = ("yes" if value else "no") if isinstance(value, bool) else value
            typer.echo(f"{name.replace('_', ' ')}: {said}")
    if identity.local:
        typer.echo(
            "This is a local CA: readers report its signatures valid, and trusted only where its certificate "
            "is a trust anchor (`sfumato credentials show --ca-pem`).",
            err=True,
        )


@credentials_app.command("init")
def init(
    force: Annotated[bool, typer.Option("--force", help="replace the local pair there is")] = False,
    organization: Annotated[
        str | None, typer.Option(help="the organization the local certificates name (default: Sfumato local)")
    ] = None,
) -> None:
    """Make a new local CA and signing certificate in the data directory. With --force, in place of the
    one there is: its CA certificate is kept, so what it signed still reads trusted here; its key goes."""
    from sfumato.credentials.authority import DEFAULT_ORGANIZATION
    from sfumato.credentials.local import local_files, make_local
    from sfumato.domain.clock import SystemClock

    settings = settings_from()
    if settings.c2pa_cert.strip():
        fail("SFUMATO_C2PA_CERT is set: the operator's certificate signs, and a local pair would not be used")
    files = local_files(settings.data_dir)
    if files.exists() and not force:
        fail(f"a local pair exists in {files.folder}; --force replaces it")
    named = f"{organization} (local, not publicly trusted)" if organization else DEFAULT_ORGANIZATION
    made = make_local(settings.data_dir, SystemClock().now(), organization=named, replace=force)
    typer.echo(f"made a local CA and signing certificate in {made.folder}")
    typer.echo(
        "Give verifiers its CA certificate: `sfumato credentials show --ca-pem`. Running processes sign with "
        "the old pair until they restart.",
        err=True,
    )


@credentials_app.command("verify")
def verify(
    file: Annotated[Path, typer.Argument(help="a PNG, JPEG or WebP file")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Read and check a file's content credentials, offline, trusting this service's CA and
    SFUMATO_C2PA_TRUST_ANCHORS. Exits 0 when they are present and valid, 1 otherwise."""
    from sfumato.credentials.identity import CredentialError
    from sfumato.domain.clock import SystemClock
    from sfumato.domain.errors import SfumatoError
    from sfumato.services.credentials import verifier_of

    settings = settings_from()
    try:
        data = file.read_bytes()
    except OSError as error:
        fail(f"cannot read {file}: {error.strerror}")
    try:
        verdict = verifier_of(settings, SystemClock()).verify(data, field=str(file))
    except SfumatoError as error:
        fail(error.message)
    except CredentialError as error:
        fail(str(error))
    if as_json:
        typer.echo(json.dumps(asdict(verdict)))
    elif not verdict.present:
        typer.echo(f"{file}: no content credentials")
    else:
        validity = "valid" if verdict.valid else "INVALID"
        trust = "trusted" if verdict.trusted else "not trusted (its CA is not a trust anchor here)"
        typer.echo(f"{file}: content credentials {validity}, {trust}")
        if verdict.signer is not None:
            typer.echo(f"signed by: {verdict.signer.name}, issued by {verdict.signer.issuer}")
        if verdict.model:
            typer.echo(f"made with: {verdict.model}")
        for action in verdict.actions:
            kind = action.digital_source_type
            source = f" ({kind.rsplit('/', 1)[-1]})" if kind else ""
            typer.echo(f"action: {action.action}{source}{f' at {action.when}' if action.when else ''}")
        for ingredient in verdict.ingredients:
            typer.echo(f"ingredient: {ingredient.title} ({ingredient.relationship})")
        for failure in verdict.failures:
            typer.echo(f"failure: {failure}")
    raise typer.Exit(0 if verdict.valid else 1)

"""``walletsign verify``: does this signature sign this message, and under which scheme?

Parse the options, build one job, let :mod:`walletsign_cli.protocols.jobs` judge it, render.
"""

from __future__ import annotations

import click

from walletsign_cli.cli.context import Environment, pass_env
from walletsign_cli.cli.help import HelpCommand
from walletsign_cli.cli.inputs import read_file_bytes, read_text_arg
from walletsign_cli.cli.output import emit, emit_json, error, json_option, note
from walletsign_cli.errors import BadInputError
from walletsign_cli.limits import MAX_MESSAGE_BYTES
from walletsign_cli.protocols import jobs, offchain
from walletsign_cli.protocols.jobs import SCHEMES, Defaults, Message
from walletsign_cli.protocols.siws import parse_time
from walletsign_cli.protocols.verification import (
    AUTO,
    ETHEREUM,
    SOLANA,
    Verdict,
    decode_binary,
)

_MAX_SIGNATURE_TEXT = 64 * 1024


@click.command(
    cls=HelpCommand,
    help_groups={
        "Signer": ["--public-key", "--address", "--recover"],
        "Signature": ["--signature", "--allow-high-s"],
        "Message": ["--message", "--message-hex", "--message-b58", "--message-file"],
        "Scheme": ["--scheme", "--domain", "--nonce", "--now", "--application-domain"],
        "Batch": ["--batch", "--jobs", "--format", "--output"],
        "Output": ["--json"],
    },
)
@click.option("--public-key", metavar="KEY", help="Solana signer: base58 address (or base64/hex).")
@click.option(
    "--address", metavar="0x…", help="Ethereum signer (a mixed-case address must be EIP-55)."
)
@click.option(
    "--recover", is_flag=True, help="Ethereum: print the address that made the signature."
)
@click.option(
    "--signature",
    metavar="SIG|-",
    help="Solana: base58, base64 or hex. Ethereum: 0x-hex, or a Link result "
    '{"result": "0x…"}. \'-\' reads stdin.',
)
@click.option("--message", metavar="TEXT", help="The message as text (signed as UTF-8).")
@click.option("--message-hex", metavar="HEX", help="The message bytes in hex (0x optional).")
@click.option("--message-b58", metavar="B58", help="The message bytes in base58.")
@click.option(
    "--message-file", metavar="PATH|-", help="The message bytes from a file ('-': stdin)."
)
@click.option(
    "--scheme",
    type=click.Choice(list(SCHEMES)),
    default=AUTO,
    show_default=True,
    help="auto: raw bytes, then the Solana off-chain layouts (SIWS named when it is one).",
)
@click.option("--domain", help="SIWS: the domain the sign-in must be for.")
@click.option("--nonce", help="SIWS: the nonce the sign-in must carry.")
@click.option("--now", metavar="ISO8601", help="SIWS: check the times at this moment.")
@click.option(
    "--application-domain",
    metavar="B58",
    help="offchain-v0: the 32-byte application domain [default: zeros].",
)
@click.option("--allow-high-s", is_flag=True, help="Ethereum: accept a malleable high-s signature.")
@click.option("--batch", metavar="FILE|-", help="Verify JSON Lines (see the README), one per line.")
@click.option(
    "--jobs",
    metavar="N",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="--batch: worker processes (0: one per CPU; more than the CPUs are capped).",
)
@click.option(
    "--format",
    "batch_format",
    type=click.Choice(["jsonl", "parquet", "arrow"]),
    help="--batch: the input's format [default: from the suffix: .parquet, .arrow, else jsonl].",
)
@click.option(
    "--output",
    metavar="PATH",
    help="--batch: write the results to PATH: .parquet or .arrow columns, else JSON Lines "
    "(walletsign verify --batch claims.parquet --output results.parquet).",
)
@json_option
@pass_env
def command(
    env: Environment,
    public_key: str | None,
    address: str | None,
    recover: bool,
    signature: str | None,
    message: str | None,
    message_hex: str | None,
    message_b58: str | None,
    message_file: str | None,
    scheme: str,
    domain: str | None,
    nonce: str | None,
    now: str | None,
    application_domain: str | None,
    allow_high_s: bool,
    batch: str | None,
    jobs: int,
    batch_format: str | None,
    output: str | None,
    as_json: bool,
) -> None:
    """Verify a signature offline: Solana ed25519 or Ethereum EIP-191.

    Solana: raw signMessage bytes, off-chain messages (solana sign-offchain-message, v0, v1)
    and Sign-In With Solana. Ethereum: personal_sign as MetaMask, ethers and Immutable X Link
    return it. Exit 0 valid, 1 invalid (the verdict is still printed), 3 malformed input.

    \b
    Examples:
      walletsign verify --public-key ADDR --signature SIG --message 'hello'
      solana sign-offchain-message 'hi' | walletsign verify --public-key ADDR \\
          --signature - --message 'hi'
      walletsign verify --scheme siws --public-key ADDR --signature SIG \\
          --message-file signin.txt --domain example.com
      walletsign verify --address 0x14791697260E4c9A71f18484C9f997B308e59325 \\
          --signature 0xddd0…1c --message 'hello world'
      walletsign verify --recover --signature '{"result": "0x…"}' --message 'hello'
      walletsign verify --batch signatures.jsonl --jobs 4 > results.jsonl
    """
    defaults = _defaults(scheme, now, domain, nonce, application_domain, allow_high_s)
    messages = (message, message_hex, message_b58, message_file)
    if batch is not None:
        if recover or any(v is not None for v in (public_key, address, signature, *messages)):
            raise click.UsageError(
                "--batch takes the keys, signatures and messages from its lines; "
                "give no --public-key, --address, --signature or --message* with it"
            )
        # The batch machinery (and its progress bar) loads only for --batch.
        from walletsign_cli.cli.verify_batch import run_batch

        code = run_batch(env, batch, defaults, jobs=jobs, fmt=batch_format, output=output)
    elif batch_format is not None or output is not None:
        raise click.UsageError("--format and --output go with --batch FILE")
    else:
        verdict = _verdict(defaults, public_key, address, recover, signature, messages)
        _render(verdict, as_json=as_json, recover_only=address is None and recover)
        code = 0 if verdict.valid else 1
    if code:
        click.get_current_context().exit(code)


def _defaults(
    scheme: str,
    now: str | None,
    domain: str | None,
    nonce: str | None,
    application_domain: str | None,
    allow_high_s: bool,
) -> Defaults:
    """The options that apply to every job (one with --batch, each line's otherwise)."""
    now_time = None if now is None else parse_time(now, "--now")
    app_domain = offchain.ZERO_DOMAIN
    if application_domain is not None:
        app_domain, _ = decode_binary(application_domain, 32, name="--application-domain")
        if len(app_domain) != 32:
            raise BadInputError(f"--application-domain must be 32 bytes, got {len(app_domain)}")
    return Defaults(scheme, now_time, allow_high_s, domain, nonce, app_domain)


def _verdict(
    defaults: Defaults,
    public_key: str | None,
    address: str | None,
    recover: bool,
    signature: str | None,
    messages: tuple[str | None, str | None, str | None, str | None],
) -> Verdict:
    """The one job the options describe, judged."""
    ethereum = address is not None or recover
    if public_key is not None and ethereum:
        raise click.UsageError(
            "give --public-key (Solana) or --address/--recover (Ethereum), not both"
        )
    if public_key is None and not ethereum:
        raise click.UsageError(
            "give --public-key (Solana) or --address / --recover (Ethereum), or --batch FILE"
        )
    if signature is None:
        raise click.UsageError("missing option --signature")
    chain = ETHEREUM if ethereum else SOLANA
    try:
        jobs.resolve_scheme(defaults.scheme, chain, name="--scheme")
    except BadInputError as exc:
        raise click.UsageError(exc.message) from None
    if signature.strip() == "-" and messages[3] == "-":
        raise BadInputError("--signature - and --message-file - cannot both read standard input")
    message = _message(*messages)
    if signature.strip() == "-":
        signature = read_text_arg("-", _MAX_SIGNATURE_TEXT, "--signature")
    signer = ("address", address) if ethereum else ("public_key", public_key)
    obj = {signer[0]: signer[1], "signature": signature, "scheme": defaults.scheme}
    names = ("--" + signer[0].replace("_", "-"), "--signature")
    job = jobs.parse_job(obj, defaults, message=message, names=names, hints=True, recover=True)
    return job.verdict()


def _message(
    text: str | None, hex_text: str | None, b58_text: str | None, path: str | None
) -> Message:
    """The message bytes, how they were given, and other readings the user may have meant."""
    given = [v for v in (text, hex_text, b58_text, path) if v is not None]
    if len(given) != 1:
        raise click.UsageError(
            "give exactly one of --message, --message-hex, --message-b58, --message-file"
        )
    if text is not None:
        return jobs.text_message(text, name="--message")
    if hex_text is not None:
        return jobs.hex_message(hex_text, name="--message-hex")
    if b58_text is not None:
        return jobs.b58_message(b58_text, name="--message-b58")
    assert path is not None  # noqa: S101 - one of the four is given
    return jobs.file_message(read_file_bytes(path, MAX_MESSAGE_BYTES, "--message-file"))


def _render(verdict: Verdict, *, as_json: bool, recover_only: bool) -> None:
    if as_json:
        emit_json(verdict.to_json())
        return
    algorithm = "ed25519" if verdict.chain == SOLANA else "secp256k1"
    if verdict.valid and recover_only:
        emit(verdict.signer or "")
        note(
            "recovered from an EIP-191 personal_sign signature; any well-formed signature "
            "recovers some address, so compare it with the one you expect"
        )
        return
    if verdict.valid:
        emit(f"valid: {algorithm} {verdict.scheme} signature by {verdict.signer}")
        siws = verdict.details.get("siws")
        if isinstance(siws, dict):
            note(f"Sign-In With Solana for {siws.get('domain')} as {siws.get('address')}")
        if verdict.chain == SOLANA and verdict.signature_encoding != "base58":
            note(f"signature read as {verdict.signature_encoding}")
        return
    emit(f"invalid: {verdict.reason}")
    # The reason names what failed: the signature itself, or a SIWS check (domain, time...).
    error(verdict.reason or "signature does not verify", verdict.hint)

"""``walletsign verify``: does this signature sign this message, and under which scheme?"""

from __future__ import annotations

import click

from walletsign_cli.cli.context import Environment, pass_env
from walletsign_cli.cli.help import HelpCommand
from walletsign_cli.cli.inputs import parse_hex, read_file_bytes, read_text_arg
from walletsign_cli.cli.output import emit, emit_json, error, json_option, note
from walletsign_cli.core import base58
from walletsign_cli.errors import BadInputError, InvalidSignatureError
from walletsign_cli.limits import MAX_MESSAGE_BYTES, check_size
from walletsign_cli.protocols import offchain
from walletsign_cli.protocols.verification import (
    AUTO,
    EIP191,
    SCHEMES,
    SOLANA,
    Alternative,
    EthereumRequest,
    SolanaRequest,
    Verdict,
    decode_binary,
    effective_scheme,
)

_MAX_SIGNATURE_TEXT = 64 * 1024


@click.command(
    cls=HelpCommand,
    help_groups={
        "Signer": ["--public-key", "--address", "--recover"],
        "Signature": ["--signature", "--allow-high-s"],
        "Message": ["--message", "--message-hex", "--message-b58", "--message-file"],
        "Scheme": ["--scheme", "--domain", "--nonce", "--now", "--application-domain"],
        "Batch": ["--batch", "--jobs"],
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
    type=click.Choice(SCHEMES),
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
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="--batch: worker processes.",
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
    ctx = click.get_current_context()
    now_time = None
    if now is not None:
        from walletsign_cli.protocols.siws import parse_time

        now_time = parse_time(now, "--now")
    app_domain = offchain.ZERO_DOMAIN
    if application_domain is not None:
        app_domain, _ = decode_binary(application_domain, 32, name="--application-domain")
        if len(app_domain) != 32:
            raise BadInputError(f"--application-domain must be 32 bytes, got {len(app_domain)}")

    if batch is not None:
        given = [public_key, address, signature, message, message_hex, message_b58, message_file]
        if recover or any(v is not None for v in given):
            raise click.UsageError(
                "--batch takes the keys, signatures and messages from its lines; "
                "give no --public-key, --address, --signature or --message* with it"
            )
        from walletsign_cli.cli.verify_batch import BatchOptions, run_batch

        options = BatchOptions(scheme, now_time, allow_high_s, domain, nonce, app_domain)
        code = run_batch(env, batch, options, jobs=jobs)
        if code:
            ctx.exit(code)
        return

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
    if ethereum and scheme not in (AUTO, EIP191):
        raise click.UsageError(f"--scheme {scheme} is a Solana scheme; Ethereum is eip191")
    if not ethereum and scheme == EIP191:
        raise click.UsageError("--scheme eip191 is for Ethereum signatures (--address)")
    if signature.strip() == "-" and message_file == "-":
        raise BadInputError("--signature - and --message-file - cannot both read standard input")

    data, encoding, alternatives = _message(message, message_hex, message_b58, message_file)
    signature_text = (
        read_text_arg("-", _MAX_SIGNATURE_TEXT, "--signature")
        if signature.strip() == "-"
        else signature
    )

    verdict: Verdict
    if ethereum:
        eth_request = EthereumRequest.parse(
            address, signature_text, data, message_encoding=encoding, alternatives=alternatives
        )
        try:
            verdict = eth_request.verdict(eth_request.verify(allow_high_s=allow_high_s))
        except InvalidSignatureError as exc:
            verdict = eth_request.failed(exc)
    else:
        assert public_key is not None  # noqa: S101 - checked above
        request = SolanaRequest.parse(
            public_key, signature_text, data, message_encoding=encoding, alternatives=alternatives
        )
        scheme = effective_scheme(scheme, domain, nonce)
        try:
            match = request.verify(
                scheme, now=now_time, domain=domain, nonce=nonce, application_domain=app_domain
            )
            verdict = request.verdict(match)
        except InvalidSignatureError as exc:
            verdict = request.failed(scheme, exc)

    _render(verdict, as_json=as_json, recover_only=ethereum and address is None)
    if not verdict.valid:
        ctx.exit(1)


def _message(
    text: str | None, hex_text: str | None, b58_text: str | None, path: str | None
) -> tuple[bytes, str, tuple[Alternative, ...]]:
    """The message bytes, how they were given, and other readings the user may have meant."""
    given = [v for v in (text, hex_text, b58_text, path) if v is not None]
    if len(given) != 1:
        raise click.UsageError(
            "give exactly one of --message, --message-hex, --message-b58, --message-file"
        )
    if text is not None:
        check_size(len(text), MAX_MESSAGE_BYTES, "--message")
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            raise BadInputError("--message is not valid Unicode text") from None
        alternatives: tuple[Alternative, ...] = ()
        if text[:2] in ("0x", "0X"):
            try:
                as_bytes = parse_hex(text, "--message")
            except BadInputError:
                pass
            else:
                alternatives = (
                    Alternative(
                        as_bytes,
                        f"the signature is valid for the {len(as_bytes)} bytes {text} "
                        "(MetaMask and cast sign a 0x… string as bytes): "
                        f"use --message-hex {text}",
                    ),
                )
        return data, "utf8", alternatives
    if hex_text is not None:
        check_size(len(hex_text) // 2, MAX_MESSAGE_BYTES, "--message-hex")
        data = parse_hex(hex_text, "--message-hex")
        as_text = hex_text.encode("utf-8", "replace")
        hint = (
            f"the signature is valid for the text {hex_text!r} "
            f"(ethers signs a string as UTF-8 text): use --message '{hex_text}'"
        )
        return data, "hex", (Alternative(as_text, hint),)
    if b58_text is not None:
        check_size(len(b58_text), MAX_MESSAGE_BYTES * 2, "--message-b58")
        return base58.decode(b58_text.strip(), name="--message-b58"), "base58", ()
    assert path is not None  # noqa: S101 - one of the four is given
    data = read_file_bytes(path, MAX_MESSAGE_BYTES, "--message-file")
    alternatives = ()
    if data.endswith(b"\n"):
        alternatives = (
            Alternative(
                data.rstrip(b"\r\n"),
                "the signature is valid for the file without its trailing newline "
                "(write it with printf or echo -n)",
            ),
        )
    return data, "file", alternatives


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

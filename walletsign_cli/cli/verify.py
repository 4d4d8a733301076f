"""``walletsign verify``: does this signature sign this message, and under which scheme?

Parse the options, build one job, let :mod:`walletsign_cli.protocols.jobs` judge it, render.
"""

from __future__ import annotations

from pathlib import Path

import click

from walletsign_cli.cli.context import Environment, pass_env
from walletsign_cli.cli.help import HelpCommand
from walletsign_cli.cli.inputs import read_file_bytes, read_text_arg
from walletsign_cli.cli.output import emit, emit_json, hint, json_option, note
from walletsign_cli.errors import BadInputError, ExitCode
from walletsign_cli.limits import MAX_MESSAGE_BYTES
from walletsign_cli.protocols import jobs, offchain
from walletsign_cli.protocols.jobs import SCHEMES, Defaults, Message
from walletsign_cli.protocols.siws import parse_time
from walletsign_cli.protocols.verification import (
    AUTO,
    EIP712,
    ETHEREUM,
    SIWE,
    SIWS,
    SOLANA,
    Verdict,
    decode_binary,
)

_MAX_SIGNATURE_TEXT = 64 * 1024
_CODES = {
    "valid": ExitCode.OK,
    "invalid": ExitCode.INVALID_SIGNATURE,
    "undetermined": ExitCode.UNDETERMINED,
}
_SIGN_IN = (SIWS, SIWE)


_HELP = """Verify a signature offline: Solana ed25519 or Ethereum secp256k1.

Solana: raw signMessage bytes, off-chain messages (solana sign-offchain-message, v0, v1)
and Sign-In With Solana. Ethereum: personal_sign (EIP-191) as MetaMask, ethers and
Immutable X Link return it, EIP-712 typed data, Sign-In With Ethereum (EIP-4361).
A contract wallet's signature (ERC-6492-wrapped, or longer than 65 bytes) is
undetermined: it needs an RPC (ERC-1271). Exit 0 valid, 1 invalid (the verdict is still
printed), 3 malformed input, 6 undetermined.

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
  walletsign verify --scheme eip712 --typed-data permit.json --signature 0x…1b \\
      --address 0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826
  walletsign verify --scheme siwe --message signin.txt --signature 0x…1c \\
      --domain example.com --nonce 32891756 --at 2021-09-30T17:00:00Z
  walletsign verify --batch signatures.jsonl --jobs 4 > results.jsonl
"""


@click.command(
    cls=HelpCommand,
    help=_HELP,
    help_groups={
        "Signer": ["--public-key", "--address", "--recover"],
        "Signature": ["--signature", "--allow-high-s"],
        "Message": [
            "--message",
            "--message-hex",
            "--message-b58",
            "--message-file",
            "--typed-data",
        ],
        "Scheme": [
            "--scheme",
            "--domain",
            "--nonce",
            "--chain-id",
            "--now",
            "--application-domain",
        ],
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
@click.option(
    "--message",
    metavar="TEXT",
    help="The message as text (signed as UTF-8). With --scheme siwe/siws also FILE or '-'.",
)
@click.option("--message-hex", metavar="HEX", help="The message bytes in hex (0x optional).")
@click.option("--message-b58", metavar="B58", help="The message bytes in base58.")
@click.option(
    "--message-file",
    metavar="PATH|-",
    help="The message bytes from a file ('-': stdin); siwe/siws drop a final newline.",
)
@click.option(
    "--typed-data",
    metavar="FILE|-",
    help="EIP-712: the eth_signTypedData_v4 JSON (a file, '-' for stdin, or inline {…}).",
)
@click.option(
    "--scheme",
    type=click.Choice(list(SCHEMES)),
    default=AUTO,
    show_default=True,
    help="auto: raw bytes, then the Solana off-chain layouts (SIWS named when it is one); "
    "on Ethereum EIP-191, or SIWE for a sign-in message.",
)
@click.option("--domain", help="SIWS/SIWE: the domain the sign-in must be for.")
@click.option("--nonce", help="SIWS/SIWE: the nonce the sign-in must carry.")
@click.option("--chain-id", metavar="ID", help="SIWS/SIWE: the chain id the sign-in must name.")
@click.option(
    "--now", "--at", "now", metavar="ISO8601", help="SIWS/SIWE: check the times at this moment."
)
@click.option(
    "--application-domain",
    metavar="B58",
    help="offchain-v0: the 32-byte application domain [default: zeros].",
)
@click.option("--allow-high-s", is_flag=True, help="Ethereum: accept a malleable high-s signature.")
@click.option(
    "--batch",
    metavar="FILE|-",
    help="Verify JSON Lines: one object a line with public_key (Solana) or address "
    "(Ethereum), signature, one of message / message_hex / message_b58 (typed_data for "
    "eip712), and optional id, scheme, domain, nonce. One result line each, in order: "
    '{"line", "id", "valid", "chain", "scheme", "error"}. Exit 0 when every line is valid, '
    "3 when any line is malformed, else 1 when any is invalid. .parquet / .arrow files "
    "are read as tables (--format).",
)
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
    typed_data: str | None,
    scheme: str,
    domain: str | None,
    nonce: str | None,
    chain_id: str | None,
    now: str | None,
    application_domain: str | None,
    allow_high_s: bool,
    batch: str | None,
    jobs: int,
    batch_format: str | None,
    output: str | None,
    as_json: bool,
) -> None:
    defaults = _defaults(scheme, now, domain, nonce, application_domain, allow_high_s)
    defaults = defaults.replace(chain_id=chain_id)
    messages = (message, message_hex, message_b58, message_file)
    if batch is not None:
        given = (public_key, address, signature, typed_data, *messages)
        if recover or any(v is not None for v in given):
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
        signer = (public_key, address, recover)
        verdict = _verdict(defaults, signer, signature, messages, typed_data)
        recovered = recover or bool(verdict.details.get("recovered"))
        _render(verdict, as_json=as_json, recover_only=address is None and recovered)
        code = _CODES[verdict.status]
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
    signer: tuple[str | None, str | None, bool],
    signature: str | None,
    messages: tuple[str | None, str | None, str | None, str | None],
    typed_data: str | None,
) -> Verdict:
    """The one job the options describe, judged."""
    public_key, address, recover = signer
    chain = _chain(defaults, public_key, address, recover, typed_data)
    if signature is None:
        raise click.UsageError("missing option --signature")
    try:
        jobs.resolve_scheme(defaults.scheme, chain, name="--scheme")
    except BadInputError as exc:
        raise click.UsageError(exc.message) from None
    stdin_users = [v for v in (signature, messages[3], typed_data) if v and v.strip() == "-"]
    if len(stdin_users) > 1 or (signature.strip() == "-" and messages[0] == "-"):
        raise BadInputError("only one of --signature, --message* and --typed-data can read stdin")
    obj: dict[str, object] = {"scheme": defaults.scheme}
    message = None
    if typed_data is not None:
        if any(v is not None for v in messages):
            raise click.UsageError("--typed-data is the message: give no --message* with it")
        obj["typed_data"] = _typed_data_text(typed_data)
    else:
        message = _message(*messages, sign_in=defaults.scheme in _SIGN_IN)
    if signature.strip() == "-":
        signature = read_text_arg("-", _MAX_SIGNATURE_TEXT, "--signature")
    key = "address" if chain == ETHEREUM else "public_key"
    obj.update({key: address if chain == ETHEREUM else public_key, "signature": signature})
    names = ("--" + key.replace("_", "-"), "--signature")
    job = jobs.parse_job(obj, defaults, message=message, names=names, hints=True, recover=True)
    return job.verdict()


def _chain(
    defaults: Defaults,
    public_key: str | None,
    address: str | None,
    recover: bool,
    typed_data: str | None,
) -> str:
    """Solana for --public-key; Ethereum for --address, --recover, --typed-data or an
    Ethereum-only scheme."""
    ethereum = (
        address is not None
        or recover
        or typed_data is not None
        or defaults.scheme in (EIP712, SIWE)
    )
    if public_key is not None and ethereum:
        raise click.UsageError(
            "give --public-key (Solana) or --address/--recover (Ethereum), not both"
        )
    if public_key is None and not ethereum:
        raise click.UsageError(
            "give --public-key (Solana) or --address / --recover (Ethereum), or --batch FILE"
        )
    if defaults.scheme == EIP712 and typed_data is None:
        raise click.UsageError("--scheme eip712 needs --typed-data FILE|-")
    return ETHEREUM if ethereum else SOLANA


def _typed_data_text(value: str) -> str:
    """--typed-data: inline JSON, '-' for stdin, or a file."""
    if value.lstrip().startswith("{"):
        return value
    raw = read_file_bytes(value, MAX_MESSAGE_BYTES, "--typed-data")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInputError("--typed-data is not UTF-8 text") from None


def _message(
    text: str | None,
    hex_text: str | None,
    b58_text: str | None,
    path: str | None,
    *,
    sign_in: bool = False,
) -> Message:
    """The message bytes, how they were given, and other readings the user may have meant.

    With a sign-in scheme, --message may name a file or '-': a sign-in message is never a
    single line, so a one-line value that is '-' or an existing file is read from there.
    """
    given = [v for v in (text, hex_text, b58_text, path) if v is not None]
    if len(given) != 1:
        raise click.UsageError(
            "give exactly one of --message, --message-hex, --message-b58, --message-file"
        )
    if text is not None and sign_in and "\n" not in text and (text == "-" or _is_file(text)):
        return _sign_in_file(read_file_bytes(text, MAX_MESSAGE_BYTES, "--message"))
    if path is not None and sign_in:
        return _sign_in_file(read_file_bytes(path, MAX_MESSAGE_BYTES, "--message-file"))
    if text is not None:
        return jobs.text_message(text, name="--message")
    if hex_text is not None:
        return jobs.hex_message(hex_text, name="--message-hex")
    if b58_text is not None:
        return jobs.b58_message(b58_text, name="--message-b58")
    assert path is not None  # noqa: S101 - one of the four is given
    return jobs.file_message(read_file_bytes(path, MAX_MESSAGE_BYTES, "--message-file"))


def _is_file(text: str) -> bool:
    try:
        return Path(text).is_file()
    except (OSError, ValueError):  # a name too long, a NUL byte: not a file
        return False


def _sign_in_file(data: bytes) -> Message:
    """A sign-in message from a file: an editor's final newline is not part of it (no
    sign-in message ends with one), so one is dropped, and the encoding says so."""
    if data.endswith(b"\n"):
        return Message(data[:-1], "file-trimmed")
    return Message(data, "file")


def _render(verdict: Verdict, *, as_json: bool, recover_only: bool) -> None:
    if as_json:
        emit_json(verdict.to_json())
        return
    algorithm = "ed25519" if verdict.chain == SOLANA else "secp256k1"
    if verdict.valid and recover_only:
        emit(verdict.signer or "")
        note(
            f"recovered from an {verdict.scheme} signature; any well-formed signature "
            "recovers some address, so compare it with the one you expect"
        )
        _describe(verdict)
        return
    if verdict.valid:
        emit(f"valid: {algorithm} {verdict.scheme} signature by {verdict.signer}")
        _describe(verdict)
        if verdict.chain == SOLANA and verdict.signature_encoding != "base58":
            note(f"signature read as {verdict.signature_encoding}")
        return
    # Said once: the verdict and its reason (the signature itself, or a sign-in check) on
    # stdout; stderr adds only what is not there already, the hint.
    emit(f"{verdict.status}: {verdict.reason or 'signature does not verify'}")
    _describe(verdict)
    if verdict.hint:
        hint(verdict.hint)


def _describe(verdict: Verdict) -> None:
    """What was signed, on stderr: the sign-in's fields, or the typed data's hashes."""
    details = verdict.details
    for key, name in (("siws", "Sign-In With Solana"), ("siwe", "Sign-In With Ethereum")):
        fields = details.get(key)
        if isinstance(fields, dict):
            note(f"{name} for {fields.get('domain')} as {fields.get('address')}")
    if "not_sign_in" in details:
        note(f"looks like a sign-in but is not one: {details['not_sign_in']}")
    if "digest" in details:
        note(f"primary type: {details.get('primary_type')}")
        for name, value in details.get("domain", {}).items():
            note(f"domain {name}: {value}")
        note(f"domain separator: {details.get('domain_separator')}")
        note(f"digest: {details['digest']}")
    if "signature_form" in details:
        note(f"signature form: {details['signature_form']}")
    for warning in details.get("warnings", ()):
        note(f"warning: {warning}")

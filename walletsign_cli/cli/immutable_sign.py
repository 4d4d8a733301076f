"""``walletsign sign-url --wallet immutable``: the Immutable X Link ``link.sign`` request.

``sign-url`` calls :func:`sign_immutable` when ``--wallet immutable`` is given. Link has no URL
form for ``sign``: the SDK opens the bare Link origin and posts the request to it once Link
reports ``ready``, so the output is that origin and that postMessage object.
"""

from __future__ import annotations

from walletsign_cli.cli.output import emit, emit_json, note, warn
from walletsign_cli.core.encoding import to_json
from walletsign_cli.protocols.immutable import sign_request_from_options


def sign_immutable(
    *, message: str | None, description: str | None, env: str, as_json: bool
) -> None:
    """Print the Link origin and the ``link.sign`` request the SDK posts to it.

    Immutable X was sunset in February 2026, so this builds and checks the documented format
    (archived signatures still verify) rather than reaching a live service.

    Both fields must be non-empty (Link's NonEmptyString), and Immutable X's own
    key-derivation and key-linking texts are refused (exit 3) as Link refuses them.
    """
    request, warnings = sign_request_from_options(message, description, env)
    for text in warnings:
        warn(text)
    if as_json:
        emit_json(request.to_json())
        return
    emit(request.link_url)
    emit(to_json(request.post_message()))
    note("line 1: the Link origin the SDK opens for link.sign (the request is never in a URL)")
    note('line 2: the request the SDK posts to that window once Link posts "ready"')
    note('Link answers {"result": "0x<65 bytes>"}, an EIP-191 personal_sign by the user\'s wallet')
    note("Immutable X was sunset in February 2026: this is the documented format, not a live call")
    note("check an answer with: walletsign verify --address 0x... --signature 0x... --message ...")

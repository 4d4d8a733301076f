"""Immutable X Link: the ``link.sign`` request and the ``link.getPublicKey`` route.

The Link SDK (``@imtbl/imx-sdk``, ``src/sdk.ts``) never puts a ``sign`` request in a URL: it
opens the bare Link origin in a popup or iframe, waits for Link to post
``{type: "imx-link", message: "ready"}``, then posts
``{type: "imx-link", message: "sign", payload: {message, description}}`` to that window. Link
answers ``{type: "imx-link", message: "success"|"result", data: {result: "0x<65 bytes>"}}``, an
EIP-191 ``personal_sign`` by the user's L1 wallet. ``getPublicKey`` is an ordinary route
(``<origin>/get-public-key``) resolving with a base64 x25519 key (see ``core.metamask``).

Immutable X was sunset in February 2026, so this builds and checks the documented format;
it never reaches a live service.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from walletsign_cli.errors import BadInputError, RefusedRequestError
from walletsign_cli.limits import MAX_MESSAGE_BYTES, check_size

LINK_ORIGINS: dict[str, str] = {
    "mainnet": "https://link.x.immutable.com",
    "sandbox": "https://link.sandbox.x.immutable.com",
}
"""``--env`` -> the Link web app's origin (imx-docs; the SDK's default constructor argument)."""

LINK_MESSAGE_TYPE = "imx-link"
"""``LINK_MESSAGE_TYPE``: the ``type`` of every postMessage between the SDK and Link."""

READY_MESSAGE = "ready"
"""What Link posts once it can take a request."""

SIGN_MESSAGE = "sign"
"""``messageTypes.sign``: the ``message`` of the request the SDK posts after ``ready``."""

ROUTE_GET_PUBLIC_KEY = "get-public-key"
"""``Routes.GetPublicKey``; ``link.getPublicKey({})`` opens ``<origin>/get-public-key``."""

KEY_DERIVATION_MESSAGE = "Only sign this request if you’ve initiated an action with Immutable X."
"""``DEFAULT_SIGNATURE_MESSAGE`` (note the ’): the L2 key is derived from its signature."""

KEY_LINKING_MESSAGE = "Only sign this key linking request from Immutable X"
"""The registration text ``registerImx`` signs to link an L2 key to the Ethereum address."""


@dataclass(frozen=True)
class ForbiddenMessage:
    """A message Link refuses to sign, and why."""

    text: str
    name: str
    reason: str


FORBIDDEN_MESSAGES: tuple[ForbiddenMessage, ...] = (
    ForbiddenMessage(
        KEY_DERIVATION_MESSAGE,
        "Immutable X's key-derivation text",
        "the user's L2 (Stark) private key is derived from a signature over it, "
        "so whoever holds that signature can rebuild the L2 key",
    ),
    ForbiddenMessage(
        KEY_LINKING_MESSAGE,
        "Immutable X's key-linking text",
        "a signature over it is the user's consent to link an L2 key to their Ethereum "
        "address, so the requester could link (and rebuild access to) an L2 key of its choosing",
    ),
)
# [inferred] The real list lives in Link's closed web app; these are the two texts the SDKs
# sign for key derivation and registration (research/ethereum.md §1.7).


def normalise(text: str) -> str:
    """The form messages are compared in: surrounding whitespace dropped, ’ read as '."""
    return text.strip().replace("\u2019", "'")


def forbidden_match(message: str) -> ForbiddenMessage | None:
    """The forbidden message ``message`` is (after :func:`normalise`), or None."""
    wanted = normalise(message)
    return next((f for f in FORBIDDEN_MESSAGES if normalise(f.text) == wanted), None)


def check_non_empty(value: str, name: str) -> str:
    """io-ts-types ``NonEmptyString``: any string of length > 0 (whitespace counts)."""
    # The codec's refinement is ``s.length > 0``; Link's UI may be stricter (not public).
    if not isinstance(value, str):
        raise BadInputError(f"{name} must be a string")
    if len(value) == 0:
        raise BadInputError(f"{name} is empty: Link's NonEmptyString needs at least one character")
    return value


def link_origin(env: str) -> str:
    """The Link origin of ``env`` (``mainnet`` or ``sandbox``)."""
    try:
        return LINK_ORIGINS[env]
    except KeyError:
        raise BadInputError(
            f"--env must be one of {', '.join(LINK_ORIGINS)}, got {env!r}"
        ) from None


def get_public_key_url(env: str) -> str:
    """The URL ``link.getPublicKey({})`` opens (its empty params add no query)."""
    return f"{link_origin(env)}/{ROUTE_GET_PUBLIC_KEY}"


@dataclass(frozen=True)
class SignRequest:
    """A ``link.sign({message, description})`` call, checked as Link checks it."""

    message: str
    description: str
    env: str = "mainnet"

    @property
    def link_url(self) -> str:
        """What the SDK opens for ``sign``: the bare origin, no path, no query."""
        return link_origin(self.env)

    def params(self) -> dict[str, str]:
        """``LinkParams.Sign``: ``{message, description}``."""
        return {"message": self.message, "description": self.description}

    def post_message(self) -> dict[str, Any]:
        """The object the SDK posts to the Link window once Link reports ``ready``."""
        return {"type": LINK_MESSAGE_TYPE, "message": SIGN_MESSAGE, "payload": self.params()}

    def to_json(self) -> dict[str, Any]:
        """``sign-url --wallet immutable --json``: the origin, the request and the post."""
        return {
            "wallet": "immutable",
            "method": "sign",
            "link_url": self.link_url,
            "request": self.params(),
            "env": self.env,
            "post_message": self.post_message(),
        }


def build_sign_request(
    message: str,
    description: str,
    *,
    env: str = "mainnet",
    message_name: str = "message",
    description_name: str = "description",
) -> SignRequest:
    """Validate a ``link.sign`` request; refuse what Link refuses (RefusedRequestError, exit 3)."""
    check_non_empty(message, message_name)
    check_non_empty(description, description_name)
    link_origin(env)
    forbidden = forbidden_match(message)
    if forbidden is not None:
        raise RefusedRequestError(
            f"{message_name} is {forbidden.name}, which Link refuses to sign "
            f'("Sorry, we cannot sign this message."): {forbidden.reason}',
            hint="ask for a signature over text of your own; Link never signs these for a dapp",
        )
    return SignRequest(message=message, description=description, env=env)


def sign_request_from_options(
    message: str | None, description: str | None, env: str
) -> tuple[SignRequest, list[str]]:
    """``sign-url --wallet immutable``'s request from its ``--message`` and ``--description``
    (both required, UTF-8, within the size limit), and what to warn about it."""
    if message is None:
        raise BadInputError(
            "--message is required with --wallet immutable",
            hint="add --message TEXT --description TEXT",
        )
    if description is None:
        raise BadInputError(
            "--description is required with --wallet immutable",
            hint="Link shows the description to the user as the reason for the request",
        )
    for value, name in ((message, "--message"), (description, "--description")):
        try:
            size = len(value.encode("utf-8"))
        except UnicodeEncodeError:
            raise BadInputError(f"{name} is not valid UTF-8 text") from None
        check_size(size, MAX_MESSAGE_BYTES, name)
    request = build_sign_request(
        message, description, env=env, message_name="--message", description_name="--description"
    )
    warnings = []
    if not description.strip():
        warnings.append("--description is only whitespace; Link shows it to the user as the reason")
    if message.startswith(("0x", "0X")):
        # research/ethereum.md §2: ethers signMessage(string) signs UTF-8, not the hex bytes.
        warnings.append(
            "Link presumably signs --message as UTF-8 text, not as the bytes of its hex"
        )
    return request, warnings

"""``diagnose``: one pasted URL (a request deeplink or a wallet's answer) in, a report out."""

from __future__ import annotations

from walletsign_cli.core import base58, keyforms
from walletsign_cli.errors import BadInputError
from walletsign_cli.limits import MAX_URL_CHARS
from walletsign_cli.protocols import deeplink
from walletsign_cli.protocols.dapp import links
from walletsign_cli.protocols.diagnosis.answer import diagnose_answer
from walletsign_cli.protocols.diagnosis.checks import Check, Report, ok, problem, warning
from walletsign_cli.protocols.diagnosis.request import is_request, lint_request
from walletsign_cli.protocols.paste import unwrap
from walletsign_cli.protocols.state import Document


def diagnose(
    text: str,
    doc: Document | None,
    *,
    keystore: str | None = None,
    keystore_problem: Check | None = None,
    expect_answer: bool = False,
) -> Report:
    """Every check that can be made on ``text`` with ``doc`` (``None``: no keystore, or one
    that could not be read; ``keystore_problem`` says why, ``keystore`` names its path).

    ``expect_answer`` (decode-redirect): a request deeplink is then itself the problem.
    """
    report = Report()
    if keystore_problem is not None:
        report.checks.append(keystore_problem)
    if len(text) > MAX_URL_CHARS:
        report.checks.append(problem("input", f"the input is over {MAX_URL_CHARS:,} characters"))
        return report
    if "?" not in text and "://" not in text:
        key = _key_checks(text.strip())
        if key:
            report.checks += key
            return report
    url, repairs = unwrap(text)
    report.checks += [
        warning("input.repaired", f"{repair}; paste the URL exactly as it was opened")
        for repair in repairs
    ]
    try:
        deeplink.check_text(url, "the input")
    except BadInputError as exc:
        report.checks.append(problem("input", exc.message))
        return report
    if not url:
        report.checks.append(problem("input", "the input is empty"))
        return report
    if links.link_method(url) is not None:
        report.checks += _link_checks(url, expect_answer=expect_answer)
        return report
    if is_request(url):
        lint = lint_request(url, doc)
        asks = lint[0].message if lint and lint[0].id == "request.method" else "a request"
        report.checks.append(
            problem(
                "input.kind",
                f"this is the request deeplink ({asks}), not the wallet's answer",
                hint="open it on the phone (or walletsign simulate it) and pass the URL the "
                "wallet opens; walletsign doctor checks the request itself",
            )
            if expect_answer
            else ok("input.kind", f"a request deeplink: {asks}")
        )
        report.checks += lint
        return report
    report.checks.append(ok("input.kind", "a wallet's answer (the redirect the wallet opened)"))
    report.checks += diagnose_answer(url, doc, keystore)
    return report


def _link_checks(url: str, *, expect_answer: bool) -> list[Check]:
    """An unencrypted browse, fungible or swap link: what it opens, and that no answer comes
    back (so there is nothing to decode)."""
    try:
        link = links.parse_link(url)
    except BadInputError as exc:
        return [problem("link", exc.message, hint="build it again with walletsign browse-url")]
    kind = f"a {link.method} link: the wallet {link.describe()}; it sends no answer"
    checks = [
        problem("input.kind", kind, hint="there is no answer to decode for this link")
        if expect_answer
        else ok("input.kind", kind)
    ]
    checks += [warning("link", note) for note in link.notes]
    checks += [warning("link.length", text) for text in link.warnings()]
    return checks


def _key_checks(text: str) -> list[Check]:
    """A pasted key instead of a URL: say which form it is in and what it holds."""
    try:
        key = keyforms.read_key(text)
    except BadInputError:
        return []
    checks = [ok("input.kind", f"not a URL but an ed25519 key: {key.form}")]
    if key.public_key is not None:
        checks.append(
            ok("key.public_key", f"its public key is {base58.encode(key.public_key)} (base58)")
        )
    else:
        checks.append(
            ok("key.base58", f"as base58: {base58.encode(key.raw)} (pass this to --public-key)")
        )
    if key.secret:
        checks.append(
            warning(
                "key.secret",
                "this is a secret keypair: whoever saw it can sign as this account",
                hint="move the funds to a new key; only the public key is needed to verify",
            )
        )
    return checks

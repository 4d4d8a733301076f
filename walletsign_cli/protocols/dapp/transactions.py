"""Check a wallet's answer to signTransaction, signAllTransactions or signAndSendTransaction.

Each returned transaction is parsed, the slot of the session's account is verified over the
returned message, the other slots are reported (partial signing), and the returned message
is compared with the requested one instruction by instruction. A changed message is reported,
not refused: wallets add compute-budget or guard instructions on purpose. A signature that
does not verify is a failure, as for ``verify``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from walletsign_cli.core import base58, ed25519, solana_tx
from walletsign_cli.errors import BadInputError, InvalidSignatureError
from walletsign_cli.protocols import deeplink


@dataclass(frozen=True)
class TransactionCheck:
    """What one returned transaction (or a signAndSend signature) showed."""

    index: int
    verified: bool | None
    version: str | None = None
    slots: tuple[solana_tx.SignatureSlot, ...] = ()
    account_slot: int | None = None
    modified: bool | None = None
    differences: tuple[solana_tx.Difference, ...] = ()
    problem: str | None = None

    def to_json(self) -> dict[str, Any]:
        """``{"index", "verified", "version", "modified", "diff", "signatures", "problem"}``."""
        return {
            "index": self.index,
            "verified": self.verified,
            "version": self.version,
            "modified": self.modified,
            "diff": [d.to_json() for d in self.differences],
            "signatures": [
                {"slot": s.index, "signer": base58.encode(s.signer), "status": s.status}
                for s in self.slots
            ],
            "problem": self.problem,
        }


def returned_transactions(method: str, answer: dict[str, Any]) -> list[str] | None:
    """The base58 transactions an answer carries (``None`` for signAndSendTransaction)."""
    if method == deeplink.SIGN_ALL_TRANSACTIONS:
        value = answer.get("transactions")
        if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
            raise BadInputError("data.transactions is not a list of base58 strings")
        return list(value)
    if method == deeplink.SIGN_TRANSACTION:
        value = answer.get("transaction")
        if not isinstance(value, str):
            raise BadInputError("data.transaction is not a base58 string")
        return [value]
    return None


def check_answer(
    method: str, answer: dict[str, Any], asked: tuple[str, ...] | None, account: bytes
) -> list[TransactionCheck]:
    """One check per returned transaction (or the one signAndSend signature)."""
    returned = returned_transactions(method, answer)
    if returned is None:
        return [_check_sent_signature(answer, asked, account)]
    asked = asked or ()
    checks = []
    for i, text in enumerate(returned):
        what = (
            f"data.transactions[{i}]"
            if method == deeplink.SIGN_ALL_TRANSACTIONS
            else ("data.transaction")
        )
        requested = asked[i] if i < len(asked) else None
        checks.append(check_transaction(i, text, requested, account, what=what))
    return checks


def parse_b58_transaction(text: str, what: str) -> solana_tx.Transaction:
    """A base58 transaction (with the base64 diagnosis of deeplink values)."""
    return solana_tx.parse_transaction(deeplink.decode_b58(text, what), what=what)


def check_transaction(
    index: int, text: str, requested: str | None, account: bytes, *, what: str
) -> TransactionCheck:
    """Verify the account's slot of one returned transaction and compare its message with
    the requested one (``None``: nothing to compare with)."""
    tx = parse_b58_transaction(text, what)
    slots = solana_tx.signature_slots(tx)
    signers = tx.message.signers
    account_slot = signers.index(account) if account in signers else None
    modified: bool | None = None
    differences: tuple[solana_tx.Difference, ...] = ()
    if requested is not None:
        asked = parse_b58_transaction(requested, f"the requested transaction {index + 1}")
        modified = asked.message.raw != tx.message.raw
        differences = solana_tx.diff_messages(asked.message, tx.message) if modified else ()
    problem = None
    if account_slot is None:
        problem = "the session's account is not a signer of the returned transaction"
    elif slots[account_slot].status != solana_tx.SLOT_VALID:
        problem = (
            f"signature slot {account_slot} (the session's account) is "
            f"{slots[account_slot].status}: it does not verify over the returned message"
        )
    return TransactionCheck(
        index,
        problem is None,
        tx.version,
        slots,
        account_slot,
        modified,
        differences,
        problem,
    )


def _check_sent_signature(
    answer: dict[str, Any], asked: tuple[str, ...] | None, account: bytes
) -> TransactionCheck:
    # signAndSendTransaction returns only the first signature (the transaction id). It can be
    # verified over the requested message only: a wallet that changed the transaction before
    # sending it (Phantom adds guard instructions) signed another message, which only the
    # chain holds. So a mismatch is "not checked", not "forged".
    signature_text = answer.get("signature")
    if not isinstance(signature_text, str):
        raise BadInputError("data.signature is not a string")
    signature = deeplink.decode_b58_exact(signature_text, 64, "data.signature")
    if not asked:
        return TransactionCheck(0, None, problem="no requested transaction to verify against")
    tx = parse_b58_transaction(asked[0], "the requested transaction")
    try:
        ed25519.verify(account, tx.message.raw, signature)
    except InvalidSignatureError:
        return TransactionCheck(
            0,
            None,
            tx.version,
            problem="the signature is not over the requested message: the wallet changed the "
            "transaction before sending it, or the signature is forged; look it up on chain",
        )
    return TransactionCheck(0, True, tx.version, modified=False)


def summary(checks: list[TransactionCheck]) -> bool | None:
    """False if any check failed, True if all verified, None when none could be checked."""
    if any(c.verified is False for c in checks):
        return False
    if checks and all(c.verified is True for c in checks):
        return True
    return None


def describe_difference(change: dict[str, Any]) -> str:
    """One line for a difference in its JSON form: ``+``/``-`` an instruction, ``~`` a field."""
    if change["field"] != "instruction":
        return f"~ {change['field']}: {change.get('asked')} -> {change.get('got')}"
    ix = change.get("got") or change.get("asked") or {}
    sign = "+" if change["change"] == "added" else "-"
    accounts = ", ".join(ix.get("accounts", [])) or "no accounts"
    return (
        f"{sign} instruction {change.get('index')}: {ix.get('program')} ({accounts}) "
        f"data {ix.get('data_hex') or '(none)'}"
    )

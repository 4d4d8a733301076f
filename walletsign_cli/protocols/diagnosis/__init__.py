"""Say why a wallet flow fails: checks on a request deeplink or a wallet's answer.

Pure functions over the text a person pasted and the keystore document (or none): each
check is ok, a warning or a problem, with a one-line reason and a hint. ``walletsign doctor``
renders them; ``decode-redirect`` names the problems when it fails.
"""

from walletsign_cli.protocols.diagnosis.checks import OK, PROBLEM, WARNING, Check, Report
from walletsign_cli.protocols.diagnosis.engine import diagnose
from walletsign_cli.protocols.paste import unwrap

__all__ = ["OK", "PROBLEM", "WARNING", "Check", "Report", "diagnose", "unwrap"]

"""The root group: global options, lazy subcommands, and the one place errors become exits."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from walletsign_cli import __version__
from walletsign_cli.cli.context import Environment
from walletsign_cli.cli.help import OwnHelpOption, version_option
from walletsign_cli.cli.output import begin_run, error
from walletsign_cli.core.encoding import to_json
from walletsign_cli.errors import ExitCode, WalletsignError, error_document, internal_message

PROG = "walletsign"

# name -> module defining ``command``; a module is imported only when its command runs,
# so ``walletsign verify`` never pays for rich, qrcode or coincurve.
COMMANDS: dict[str, str] = {
    "keygen": "walletsign_cli.cli.keygen",
    "connect-url": "walletsign_cli.cli.connect_url",
    "sign-url": "walletsign_cli.cli.sign_url",
    "disconnect-url": "walletsign_cli.cli.disconnect_url",
    "browse-url": "walletsign_cli.cli.browse_url",
    "fungible-url": "walletsign_cli.cli.fungible_url",
    "swap-url": "walletsign_cli.cli.swap_url",
    "decode-redirect": "walletsign_cli.cli.decode_redirect",
    "doctor": "walletsign_cli.cli.doctor",
    "verify": "walletsign_cli.cli.verify",
    "typed-data": "walletsign_cli.cli.typed_data",
    "simulate": "walletsign_cli.cli.simulate",
    "simulate-eth": "walletsign_cli.cli.simulate_eth",
    "listen": "walletsign_cli.cli.listen",
    "encrypt": "walletsign_cli.cli.encrypt",
    "decrypt": "walletsign_cli.cli.decrypt",
    "keystore": "walletsign_cli.cli.keystore_cmd",
}


class RootGroup(OwnHelpOption, click.Group):
    """Loads subcommands on demand and maps every failure to the SPEC's exit codes."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name, module in COMMANDS.items() if _module_exists(module)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMANDS.get(cmd_name)
        if module is None or not _module_exists(module):
            return None
        command = importlib.import_module(module).command
        assert isinstance(command, click.Command)  # noqa: S101 - a programming error
        return command

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> NoReturn:
        # args=None lets click read sys.argv itself (and expand wildcards on Windows).
        code = _run(self, args, prog_name or PROG, complete_var, extra)
        sys.exit(code)


def _module_exists(module: str) -> bool:
    if module in sys.modules:
        return True
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def _run(
    group: RootGroup,
    args: Sequence[str] | None,
    prog_name: str,
    complete_var: str | None,
    extra: dict[str, Any],
) -> int:
    env = Environment.from_process()
    begin_run()
    try:
        return _invoke(group, args, prog_name, complete_var, env, extra)
    except WalletsignError as exc:
        return _fail(env, exc.exit_code, exc.error_type, exc.message, exc.hint)
    except click.exceptions.MissingParameter as exc:
        return _usage_error(env, exc)
    except click.BadParameter as exc:
        # A value was given but is malformed: bad input (3), naming the option.
        return _fail(env, ExitCode.BAD_INPUT, "bad_input", _param_message(exc), None)
    except click.UsageError as exc:
        return _usage_error(env, exc)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo(f"\n{PROG}: interrupted", err=True)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``walletsign ... | head``); say nothing more.
        _silence_stdout()
        return ExitCode.OK
    except click.ClickException as exc:
        return _fail(env, ExitCode.BAD_INPUT, "bad_input", exc.format_message(), None)
    except Exception as exc:  # noqa: BLE001 - the one place a bug becomes exit 70
        message = internal_message(exc)
        return _fail(
            env, ExitCode.INTERNAL, "internal", message, "rerun with --debug for a traceback"
        )


def _invoke(
    group: RootGroup,
    args: Sequence[str] | None,
    prog_name: str,
    complete_var: str | None,
    env: Environment,
    extra: dict[str, Any],
) -> int:
    result = click.Group.main(
        group,
        args=args,
        prog_name=prog_name,
        complete_var=complete_var,
        standalone_mode=False,
        obj=env,
        **extra,
    )
    if isinstance(result, int):
        return result
    return ExitCode.OK


def _param_message(exc: click.BadParameter) -> str:
    name = exc.param.get_error_hint(exc.ctx) if exc.param and exc.ctx else exc.param_hint
    if isinstance(name, str):
        return f"invalid value for {name}: {exc.message}"
    return exc.format_message()


def _usage_error(env: Environment, exc: click.UsageError) -> int:
    """Exit 2. Without ``--json``: the one-line ``walletsign: error: ...`` every error uses,
    with the command's usage (and where its ``--help`` is) as the hint."""
    if env.as_json:
        return _fail(env, ExitCode.USAGE, "usage", exc.format_message(), None)
    return _fail(env, ExitCode.USAGE, "usage", exc.format_message(), usage_hint(exc.ctx))


def usage_hint(ctx: click.Context | None) -> str | None:
    """``usage: walletsign verify [OPTIONS]; see walletsign verify --help`` (None without a
    command context)."""
    if ctx is None:
        return None
    usage = " ".join(ctx.get_usage().split())
    if usage.lower().startswith("usage:"):
        usage = usage[len("usage:") :].strip()
    return f"usage: {usage}; see {ctx.command_path} --help"


def report_error(env: Environment, exc: WalletsignError) -> int:
    """Print ``exc`` as a failed command would (one error line and a hint, or the ``--json``
    error document) and return its exit code, for a command that goes on after it."""
    return _fail(env, exc.exit_code, exc.error_type, exc.message, exc.hint)


def _fail(env: Environment, code: int, kind: str, message: str, hint: str | None) -> int:
    if env.debug:
        import traceback  # only a failure under --debug pays for it

        traceback.print_exc()
    if env.as_json:
        click.echo(to_json(error_document(code, kind, message, hint)), err=True)
    else:
        error(message, hint)
    return code


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


@click.group(
    cls=RootGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--keystore",
    "keystore_option",
    metavar="PATH",
    help="The keystore file [env WALLETSIGN_KEYSTORE; default: user data dir].",
)
@click.option(
    "--passphrase-file",
    metavar="PATH",
    help="Seal the keystore's secrets under the first line of this file "
    "[env WALLETSIGN_PASSPHRASE].",
)
@click.option("--no-color", is_flag=True, help="Plain output (NO_COLOR is honoured too).")
@click.option("--debug", is_flag=True, help="Show tracebacks [env WALLETSIGN_DEBUG=1].")
@version_option(f"{PROG} {__version__}")
@click.pass_context
def cli(
    ctx: click.Context,
    keystore_option: str | None,
    passphrase_file: str | None,
    no_color: bool,
    debug: bool,
) -> None:
    """Craft and verify wallet sign requests: Phantom, Solflare and Backpack deeplinks,
    Immutable X Link, ed25519, EIP-191, EIP-712 and sign-in (SIWS, SIWE) signatures.

    \b
    Examples:
      walletsign keygen
      walletsign connect-url --wallet phantom --app-url https://example.com \\
          --redirect-link myapp://onConnect
      walletsign decode-redirect 'myapp://onConnect?phantom_encryption_public_key=...'
      walletsign verify --public-key ADDR --signature SIG --message 'hello'
    """
    env = ctx.ensure_object(Environment)
    env.keystore_option = keystore_option
    env.passphrase_file = passphrase_file
    env.no_color = no_color
    env.debug = env.debug or debug


def run() -> NoReturn:
    """Console-script entry point."""
    cli.main(prog_name=PROG)

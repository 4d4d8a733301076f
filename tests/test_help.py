"""Every command's --help: a one-line summary, grouped options, examples that really parse,
and keystore-name completion wherever a key, session or simulated wallet is named."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from typing import Any

import click
import pytest
from click.shell_completion import ShellComplete
from click.testing import CliRunner

from tests.conftest import load_vector
from walletsign_cli import __version__
from walletsign_cli.cli.completion import complete_keys, complete_sessions, complete_wallets
from walletsign_cli.cli.help import (
    HELP_TEXT,
    OTHER,
    HelpCommand,
    OwnHelpOption,
    grouped_options,
    summary,
)
from walletsign_cli.cli.root import PROG, cli
from walletsign_cli.core.box import X25519KeyPair

VECTORS = load_vector("deeplink.json")
COMPLETERS = {"--key": complete_keys, "--session": complete_sessions}
COMPLETERS["--wallet-name"] = complete_wallets


def _commands() -> Iterator[tuple[list[str], click.Command]]:
    """(path, command) for every command and subcommand, as a user reaches them."""
    ctx = click.Context(cli, info_name=PROG)
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        assert command is not None, name
        yield [name], command
        if isinstance(command, click.Group):
            sub_ctx = click.Context(command, info_name=name, parent=ctx)
            for sub in command.list_commands(sub_ctx):
                subcommand = command.get_command(sub_ctx, sub)
                assert subcommand is not None, sub
                yield [name, sub], subcommand


COMMANDS = list(_commands())
IDS = [" ".join(path) for path, _ in COMMANDS]
LEAVES = [(path, cmd) for path, cmd in COMMANDS if not isinstance(cmd, click.Group)]
LEAF_IDS = [" ".join(path) for path, _ in LEAVES]


def _help(*args: str, width: int = 100) -> str:
    result = CliRunner().invoke(cli, [*args, "--help"], terminal_width=width)
    assert result.exit_code == 0, result.output
    return result.output


def test_there_are_commands_to_check() -> None:
    names = {path[0] for path, _ in COMMANDS}
    assert {"keygen", "connect-url", "sign-url", "decode-redirect", "verify"} <= names


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_one_line_summary(path: list[str], command: click.Command) -> None:
    text = summary(command)
    assert text, f"{path}: no summary"
    assert text.endswith("."), text
    assert len(text) <= 80, f"{path}: the summary should fit on one line: {text!r}"
    first = (command.help or "").strip().splitlines()[0]
    assert first.strip() == text, f"{path}: the summary should be the docstring's first line"


@pytest.mark.parametrize("width", [80, 100])
def test_command_list_never_cuts_a_summary(width: int) -> None:
    listing = _help(width=width).split("Commands:", 1)[1]
    assert "..." not in listing
    flat = " ".join(listing.split())
    for path, command in COMMANDS:
        if len(path) == 1:
            assert summary(command) in flat, path


def _examples(text: str) -> list[str]:
    """The example invocations of a --help page, continuation lines joined."""
    block = text.split("Examples:", 1)[1]
    lines: list[str] = []
    for raw in block.splitlines()[1:]:
        if not raw.startswith("    "):
            break  # the end of the indented block
        line = raw.strip()
        if lines and lines[-1].endswith("\\"):
            lines[-1] = lines[-1][:-1].rstrip() + " " + line
        else:
            lines.append(line)
    return lines


def _walletsign_calls(example: str) -> list[list[str]]:
    """The argument lists of each ``walletsign`` in one shell line (pipes, $(...), VAR=)."""
    lexer = shlex.shlex(example, posix=True, punctuation_chars="|<>")
    lexer.whitespace_split = True
    tokens = list(lexer)
    calls: list[list[str]] = []
    current: list[str] | None = None
    for token in tokens:
        if token in ("|", "<", ">", ">>"):
            current = None
            continue
        if token == PROG and current is None:
            current = []
            calls.append(current)
        elif current is not None:
            current.append(token)
    for token in tokens:  # a walletsign inside "$(...)"
        if token.startswith("$(" + PROG + " "):
            calls += _walletsign_calls(token[2:].rstrip(")"))
    return calls


def _remaining(ctx: click.Context) -> list[str]:
    # The subcommand and its arguments (click 9 keeps them all in ``args``).
    protected: list[str] = getattr(ctx, "_protected_args", [])
    return [*protected, *ctx.args]


def _parse(args: list[str]) -> click.Context:
    """Parse like the shell would run it, without running anything."""
    ctx = cli.make_context(PROG, list(args))
    group: click.Group = cli
    rest = _remaining(ctx)
    while True:
        name, command, rest = group.resolve_command(ctx, rest)
        assert command is not None and name is not None
        ctx = command.make_context(name, rest, parent=ctx)
        if not isinstance(command, click.Group):
            return ctx
        group, rest = command, _remaining(ctx)


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_examples_are_real_invocations(path: list[str], command: click.Command) -> None:
    text = _help(*path)
    assert "Examples:" in text, f"{path} has no Examples: block"
    examples = _examples(text)
    assert examples, path
    own = 0
    for example in examples:
        calls = _walletsign_calls(example)
        assert calls, f"not a walletsign invocation: {example}"
        for args in calls:
            ctx: click.Context | None = _parse(args)  # raises on an unknown option or choice
            while ctx is not None:
                own += ctx.command is command
                ctx = ctx.parent
    assert own, f"{path}: no example runs this command"


def test_example_parsing_can_fail() -> None:
    with pytest.raises(click.UsageError):
        _parse(["sign-url", "--no-such-option"])
    with pytest.raises(click.BadParameter):
        _parse(["connect-url", "--wallet", "nope", "--app-url", "a", "--redirect-link", "b"])


@pytest.mark.parametrize(("path", "command"), LEAVES, ids=LEAF_IDS)
def test_options_are_grouped_under_headings(path: list[str], command: click.Command) -> None:
    assert isinstance(command, HelpCommand), f"{path}: use walletsign_cli.cli.help.HelpCommand"
    flags = {o for p in command.params if isinstance(p, click.Option) for o in p.opts}
    for heading, names in command.help_groups.items():
        unknown = [n for n in names if n not in flags]
        assert not unknown, f"{path}: group {heading!r} names no such option {unknown}"
    ctx = click.Context(command, info_name=path[-1])
    sections = grouped_options(command, ctx, command.help_groups)
    headings = [heading for heading, _ in sections]
    assert headings[-1] == OTHER  # --help, and anything no group names
    if len(command.params) > 3:
        assert len(headings) >= 3, f"{path}: group its options: {headings}"
    text = _help(*path)
    for heading in headings:
        assert f"\n{heading}:\n" in text
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert text.count(f"  {param.opts[0]}") >= 1, param.opts


def test_grouping_puts_each_option_under_its_heading() -> None:
    text = _help("sign-url")
    message = text.split("\nMessage:\n", 1)[1].split("\n\n", 1)[0]
    assert "--message-hex" in message
    assert "--qr" not in message
    output = text.split("\nOutput:\n", 1)[1].split("\n\n", 1)[0]
    assert "--json" in output
    assert "-h, --help" in text.split(f"\n{OTHER}:\n", 1)[1]


def test_help_columns_line_up_across_headings() -> None:
    text = _help("keygen")
    starts = [
        match.end()
        for line in text.splitlines()
        if (match := re.match(r"  -\S.*?\s{2,}(?=\S)", line)) is not None
    ]
    assert len(starts) == 6, text
    assert len(set(starts)) == 1, text


# -- completion ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "command"), LEAVES, ids=LEAF_IDS)
def test_name_options_complete_from_the_keystore(path: list[str], command: click.Command) -> None:
    for param in command.params:
        for flag, completer in COMPLETERS.items():
            if isinstance(param, click.Option) and flag in param.opts:
                got = getattr(param, "_custom_shell_complete", None)
                assert got is completer, f"{path} {flag}: shell_complete={completer.__name__}"


def _complete(args: list[str], incomplete: str) -> list[str]:
    completion = ShellComplete(cli, {}, PROG, "_WALLETSIGN_COMPLETE")
    return [item.value for item in completion.get_completions(args, incomplete)]


def test_completion_offers_stored_names(run: Any) -> None:
    exchange = VECTORS["exchanges"]["phantom"]
    dapp = X25519KeyPair.from_secret(bytes.fromhex(VECTORS["dapp"]["secret_key_hex"]))
    assert run("keygen", "--name", "alpha", "--secret-key", dapp.secret_base58()).exit_code == 0
    assert run("keygen", "--name", "beta").exit_code == 0
    connect = ("--app-url", "https://example.com", "--redirect-link", "myapp://onConnect")
    assert run("connect-url", "--wallet", "phantom", *connect, "--key", "alpha").exit_code == 0
    saved = run("decode-redirect", exchange["connect"]["answer_url"], "--session", "phone-1")
    assert saved.exit_code == 0, saved.stderr
    url = run("connect-url", "--wallet", "phantom", *connect, "--key", "beta").stdout.strip()
    assert run("simulate", "--wallet-name", "sim-ci", url).exit_code == 0

    assert _complete(["decode-redirect", "--key"], "") == ["alpha", "beta"]
    assert _complete(["connect-url", "--key"], "b") == ["beta"]
    assert _complete(["sign-url", "--session"], "ph") == ["phone-1"]
    assert _complete(["disconnect-url", "--session"], "") == ["phone-1"]
    assert _complete(["decode-redirect", "--session"], "x") == []
    assert _complete(["simulate", "--wallet-name"], "s") == ["sim-ci"]


def test_completion_of_a_broken_keystore_is_silent(keystore_path: Any) -> None:
    keystore_path.parent.mkdir(parents=True, exist_ok=True)
    keystore_path.write_text("{not json")
    keystore_path.chmod(0o600)
    assert _complete(["sign-url", "--session"], "") == []


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_every_command_answers_both_help_flags(path: list[str], command: click.Command) -> None:
    for flag in ("-h", "--help"):
        result = CliRunner().invoke(cli, [*path, flag])
        assert result.exit_code == 0, result.output
        assert result.output.startswith("Usage: ")
        assert f" {' '.join(path)} " in result.output.splitlines()[0]
        assert re.search(rf"\n  -h, --help +{re.escape(HELP_TEXT)}\n", result.output)
    # Click's own option has the same text, but its gettext call imports locale.
    assert isinstance(command, OwnHelpOption)
    assert isinstance(cli, OwnHelpOption)
    ctx = click.Context(command, info_name=path[-1], help_option_names=["-h", "--help"])
    option = command.get_help_option(ctx)
    assert option is not None
    assert command.get_help_option(ctx) is option  # click orders eager callbacks by identity
    assert option.help == HELP_TEXT


def test_version_and_help_of_the_root() -> None:
    assert CliRunner().invoke(cli, ["--version"]).output == f"{PROG} {__version__}\n"
    assert HELP_TEXT in CliRunner().invoke(cli, ["-h"]).output

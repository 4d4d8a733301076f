"""``--help`` with options under headings, and summaries that are never cut.

Each command names its option groups once, in its decorator::

    @click.command(cls=HelpCommand, help_groups={"Message": ["--message", "--message-hex"]})

Options are listed under their heading in the order the mapping gives; an option no group
names (``--help`` among them) lands under a final "Options" heading, so a new option is never
hidden from ``--help``. Only click, the errors and the text helpers are imported here: every
command module imports this at start-up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar, cast

import click

from walletsign_cli.errors import UsageError
from walletsign_cli.text import by_heading

FC = TypeVar("FC", bound=Callable[..., Any] | click.Command)

OTHER = "Options"
"""The heading of the options no group names (always last)."""
HELP_TEXT = "Show this message and exit."
VERSION_TEXT = "Show the version and exit."


def _show_help(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(ctx.get_help(), color=ctx.color)
        ctx.exit()


class OwnHelpOption:
    """Mixed into a click command: its ``--help`` option is built here, not by click.

    Click builds it with a gettext-translated text, and the first gettext call of a run
    imports ``locale`` and looks for catalogues: about 1 ms of every start-up, for a
    translation walletsign does not have (its every message is English). The option is
    the one click would build: a flag, eager, not exposed, printing the help and exiting.
    """

    _own_help: click.Option | None = None

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        """The ``--help`` option (the same object on every call, as click's callback
        ordering needs); None when the command has none."""
        command = cast("click.Command", self)
        names = command.get_help_option_names(ctx)
        if not names or not command.add_help_option:
            return None
        if self._own_help is None:
            self._own_help = click.Option(
                [*names, "walletsign_help"],  # a name no command's parameter takes
                is_flag=True,
                expose_value=False,
                is_eager=True,
                callback=_show_help,
                help=HELP_TEXT,
            )
        return self._own_help


def version_option(text: str) -> Callable[[FC], FC]:
    """``--version``: print ``text`` and exit (click's ``version_option`` without its
    gettext call, for the reason :class:`OwnHelpOption` gives)."""

    def show(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
        if value and not ctx.resilient_parsing:
            click.echo(text, color=ctx.color)
            ctx.exit()

    return click.option(
        "--version",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=show,
        help=VERSION_TEXT,
    )


def summary(command: click.Command) -> str:
    """The first paragraph of the help, on one line (what the command list shows)."""
    if command.short_help:
        return " ".join(command.short_help.split())
    words = (command.help or "").partition("\n\n")[0].split()
    return " ".join(word for word in words if word != "\b")


def grouped_options(
    command: click.Command, ctx: click.Context, groups: Mapping[str, Sequence[str]]
) -> list[tuple[str, list[tuple[str, str]]]]:
    """``(heading, help records)`` in display order; empty headings are left out."""
    records = [
        (param.opts, record)
        for param in command.get_params(ctx)
        if isinstance(param, click.Option) and (record := param.get_help_record(ctx)) is not None
    ]
    return by_heading(records, groups, OTHER)


def write_sections(
    formatter: click.HelpFormatter, sections: Sequence[tuple[str, list[tuple[str, str]]]]
) -> None:
    """Write definition lists whose second column lines up across every heading."""
    col_max = 30
    width = min(max((len(term) for _, rows in sections for term, _ in rows), default=0), col_max)
    for heading, rows in sections:
        # Padding a short term to the common width makes click use the same column.
        padded = [(term.ljust(width) if text else term, text) for term, text in rows]
        with formatter.section(heading):
            formatter.write_dl(padded, col_max=col_max)


class HelpCommand(OwnHelpOption, click.Command):
    """A command whose ``--help`` lists options under headings (``help_groups``)."""

    def __init__(
        self,
        *args: Any,
        help_groups: Mapping[str, Sequence[str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.help_groups: dict[str, tuple[str, ...]] = {
            heading: tuple(flags) for heading, flags in (help_groups or {}).items()
        }

    def get_short_help_str(self, limit: int = 45) -> str:
        """The whole one-line summary: the command list wraps it rather than cut it."""
        return summary(self)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Parse as click does; when the parser itself fails (an unknown option, a missing
        value), first read ``--json`` with this command's own options, so that the usage
        error honours it (``--message --json`` is still a message, never the flag). The
        error keeps this command's context, so its hint can give the command's usage."""
        try:
            return super().parse_args(ctx, list(args))
        except click.UsageError as exc:
            if exc.ctx is None:
                exc.ctx = ctx
            _resolve_json_leniently(self, ctx, args)
            raise

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; an option rule the engine enforces fails as click's usage errors do
        (exit 2, with the usage line)."""
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            raise click.UsageError(exc.message, ctx) from None

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The options, one section per heading."""
        write_sections(formatter, grouped_options(self, ctx, self.help_groups))


def _resolve_json_leniently(command: click.Command, ctx: click.Context, args: list[str]) -> None:
    parser = command.make_parser(ctx)
    parser.ignore_unknown_options = True
    try:
        opts, _, _ = parser.parse_args(args=list(args))
    except click.UsageError:
        return
    json_param = next((p for p in command.params if "--json" in p.opts), None)
    if json_param is not None and opts.get(json_param.name or ""):
        # The same callback --json runs when parsing succeeds.
        json_param.process_value(ctx, True)


class HelpGroup(OwnHelpOption, click.Group):
    """A group of subcommands whose summaries are never cut short either."""

    def get_short_help_str(self, limit: int = 45) -> str:
        """The whole one-line summary."""
        return summary(self)

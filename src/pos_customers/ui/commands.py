"""The command palette (ctrl+p): the app's actions by name, on top of the screen's bindings, in the
person's language."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import SystemCommand

from ..domain.i18n import N_, tr
from .widgets.footer import described

# Textual's own commands, in the person's language; its "Keys" (an English help panel) gives way
# to F1's list of every key
TEXTUAL_COMMANDS = {
    "Theme": N_("Theme"),
    "Change the current theme": N_("Change the current theme"),
    "Quit": N_("Quit"),
    "Quit the application as soon as possible": N_("Close the app"),
    "Minimize": N_("Minimize"),
    "Minimize the widget and restore to normal size": N_("Back to the whole screen"),
    "Maximize": N_("Maximize"),
    "Maximize the focused widget": N_("Show the field or list in use on the whole screen"),
    "Screenshot": N_("Screenshot"),
    "Save an SVG 'screenshot' of the current screen": N_("Save a picture of the screen (SVG)"),
}
KEYS_TITLE, KEYS_HELP = N_("Keys"), N_("List the keys of this screen")


def translated_system_commands(app, screen, commands: Iterable[SystemCommand]) -> Iterable[SystemCommand]:
    """Textual's system commands with their titles and help translated; "Keys" opens F1's list."""
    for command in commands:
        if command.title == "Keys":
            yield SystemCommand(tr(KEYS_TITLE), tr(KEYS_HELP), app.action_keys, command.discover)
            continue
        yield SystemCommand(tr(TEXTUAL_COMMANDS.get(command.title, command.title)),
                            tr(TEXTUAL_COMMANDS.get(command.help, command.help)),
                            command.callback, command.discover)


def app_commands(app, screen):
    """Every Binding with a description on the current screen becomes a palette command too."""
    seen = set()
    for node in (screen, app):
        for binding in getattr(node, "BINDINGS", []):
            if not hasattr(binding, "action") or not binding.description or binding.action in seen:
                continue
            if hasattr(node, "check_action") and node.check_action(binding.action, ()) is False:
                continue
            seen.add(binding.action)
            target = node

            def run(action=binding.action, target=target):
                app.call_later(target.run_action, action)
            yield SystemCommand(described(binding.description), described(binding.tooltip or binding.description), run)

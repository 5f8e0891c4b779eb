"""The command palette (ctrl+p): the app's actions by name, on top of the screen's bindings."""

from __future__ import annotations

from textual.app import SystemCommand


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
            yield SystemCommand(binding.description, binding.tooltip or binding.description, run)

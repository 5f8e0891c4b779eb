"""The column of field labels on a form: as wide as its longest label (in the person's language,
a manager's attribute names included), up to a cap, so no label wraps onto a second line."""

from __future__ import annotations

from rich.cells import cell_len
from textual.widgets import Label


def widen_labels(root, cap: int) -> None:
    """Make every ``.field-label`` under ``root`` wide enough for the longest one (never narrower
    than the stylesheet's width, never wider than ``cap`` cells: a longer label is cut with "…")."""
    labels = [label for label in root.query(".field-label").results(Label)]
    if not labels:
        return
    styled = labels[0].styles.width
    current = int(styled.value) if styled is not None and styled.unit.name == "CELLS" else 0
    need = max(cell_len(str(label.content)) for label in labels) + 1  # a blank before the field
    width = min(max(current, need), cap)
    if width == current:
        return
    for label in labels:
        label.styles.width = width
        label.styles.text_wrap = "nowrap"
        label.styles.text_overflow = "ellipsis"

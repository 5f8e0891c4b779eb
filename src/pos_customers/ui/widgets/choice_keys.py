"""Letters and digits typed on a list (Select) or a tick box (Checkbox) are never lost silently.

Tab stops on lists and tick boxes as on text fields. At a till a person types on without looking:
on a list, the letters typed pick the first choice that starts with them (typed quickly one after
the other they make one word: "fr" picks "Frau" over "Familie"), as a list in any other program
does; a key no choice starts with, and any key on a tick box, gets a one-line hint of what the
field is and how to go on, so nothing typed vanishes without a word.
"""

from __future__ import annotations

import time
from weakref import WeakKeyDictionary

from textual import events
from textual.notifications import Notification, Notify
from textual.widget import Widget
from textual.widgets import Checkbox, OptionList, Select

from ...domain.i18n import N_, tr
from ...domain.text import fold

WORD_GAP = 0.7  # seconds: keys typed within this of each other make one word
LIST_HINT = N_("“{key}”: this field is a list, not a text field: type the first letters of a choice, "
               "or ↓ to open it; Tab goes to the next field.")
BOX_HINT = N_("“{key}”: this field is a box to tick: Space ticks or clears it; Tab goes to the next field.")

_typed: WeakKeyDictionary[Widget, tuple[str, float]] = WeakKeyDictionary()
_shown: WeakKeyDictionary[object, Notification] = WeakKeyDictionary()  # app -> the hint on screen


def typed_on_choice(widget: Widget | None, event: events.Key, *, now=time.monotonic) -> bool:
    """A printable key that reached a focused list or tick box unhandled: pick a choice, or hint.
    True when the key was dealt with here."""
    if widget is None or not event.is_printable or event.character is None or event.character == " ":
        return False
    if isinstance(widget, Select) and not widget.expanded:
        if _pick(widget, event.character, now()):
            return True
        _hint(widget, tr(LIST_HINT).format(key=event.character))
        return True
    if isinstance(widget, Checkbox):
        _hint(widget, tr(BOX_HINT).format(key=event.character))
        return True
    return False


def _hint(widget: Widget, text: str) -> None:
    """One hint per burst of keys: a new one takes the place of the one still shown, so a word
    typed on a list gives one notice, not one per key stacking up for seconds."""
    app = widget.app
    previous = _shown.get(app)
    if previous is not None and previous in app._notifications:
        app._unnotify(previous)
    notification = Notification(text, "", "warning", app.NOTIFICATION_TIMEOUT, markup=False)
    _shown[app] = notification
    app.post_message(Notify(notification))


def _pick(select: Select, character: str, at: float) -> bool:
    """The first choice starting with the word typed so far (this key, or the word it adds to)."""
    word, last = _typed.get(select, ("", 0.0))
    word = (word if at - last <= WORD_GAP else "") + character
    _typed[select] = (word, at)
    options = select.query_one(OptionList)  # the list Select opens (its choices, in order)
    for attempt in (fold(word), fold(character)):  # "fx" with no choice "Fx…": "x" starts anew
        for index in range(options.option_count):
            prompt = options.get_option_at_index(index).prompt
            text = getattr(prompt, "plain", prompt)
            if isinstance(text, str) and text.strip() and text != select.prompt and fold(text).startswith(attempt):
                if attempt != fold(word):
                    _typed[select] = (character, at)
                options.highlighted = index
                # the value now, not by the messages the open list would post (list -> overlay ->
                # Select): a key of the same burst (ctrl+s) would run its action before they arrive
                # and read the value the list showed before. Select's options, in the list's order.
                value = select._options[index][1]
                if value != select.value:
                    select.value = value
                return True
    return False

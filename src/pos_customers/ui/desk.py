"""The customers an associate has open at once, like tabs: which are open, in which order, which
one is on screen, which hold unsaved work, and how the strip of them reads in one line.

Pure Python, no Textual: the app keeps one screen stack (a Textual mode) per open customer and
asks this class what to show; tests/ui/test_desk.py checks it on its own. A place is either an
open customer's id or ``HOME`` (the search screen, with whatever the associate opened on top of
it: a new customer's form).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.i18n import N_, tr

HOME = None  # the search screen's place
CAP = 9  # alt+1 … alt+9

# what a person reads: translated where shown
HOME_LABEL = N_("Search")
NO_NAME = "…"  # a customer whose card is still loading
FULL_MESSAGE = N_("{cap} customers are open: close one ({close}) before opening another.")


class DeskFull(Exception):
    """As many customers are open as the strip has numbers for."""


@dataclass
class OpenCustomer:
    customer_id: str
    name: str = ""
    person: bool = True  # names shorten as "A. Müller"; an organization's is cut at its end
    dirty: bool = False  # a form with unsaved changes is open on this customer
    came_from: str | None = HOME  # where closing it goes back to (if that is still open)


@dataclass(frozen=True)
class Piece:
    """One part of the strip: its number (0 is the search), its text, and how it is drawn."""

    number: int
    text: str
    current: bool
    dirty: bool


class OpenCustomers:
    def __init__(self, cap: int = CAP) -> None:
        self.cap = cap
        self._open: list[OpenCustomer] = []
        self.current: str | None = HOME
        self.home_dirty = False

    # -- what is open ----------------------------------------------------------------------------
    def __contains__(self, customer_id: object) -> bool:
        return self.get(customer_id) is not None

    def __len__(self) -> int:
        return len(self._open)

    @property
    def ids(self) -> list[str]:
        return [c.customer_id for c in self._open]

    def get(self, customer_id: object) -> OpenCustomer | None:
        return next((c for c in self._open if c.customer_id == customer_id), None)

    def places(self) -> list[str | None]:
        """The search first, then the open customers in the order they were opened."""
        return [HOME, *self.ids]

    # -- opening, moving, closing ---------------------------------------------------------------
    def open(self, customer_id: str, name: str = "") -> bool:
        """Open a customer and make it the current place. False: it was open already (it becomes
        current as it is). DeskFull when ``cap`` customers are open."""
        if customer_id in self:
            self.current = customer_id
            return False
        if len(self._open) >= self.cap:
            raise DeskFull(self.cap)
        self._open.append(OpenCustomer(customer_id, name, came_from=self.current))
        self.current = customer_id
        return True

    def go(self, place: str | None) -> None:
        if place is not HOME and place not in self:
            raise KeyError(place)
        self.current = place

    def numbered(self, number: int) -> str | None:
        """The place with this number in the strip (0: the search); KeyError when there is none."""
        if number == 0:
            return HOME
        if 1 <= number <= len(self._open):
            return self._open[number - 1].customer_id
        raise KeyError(number)

    def step(self, by: int) -> str | None:
        """The place ``by`` steps along the strip from the current one, round the end."""
        places = self.places()
        return places[(places.index(self.current) + by) % len(places)]

    def close(self, customer_id: str) -> str | None:
        """Close a customer. Returns the place to show now: where it was opened from when it was
        the current one (the search if that is closed too), else the current place."""
        gone = self.get(customer_id)
        if gone is None:
            raise KeyError(customer_id)
        self._open.remove(gone)
        for c in self._open:
            if c.came_from == customer_id:
                c.came_from = gone.came_from
        if self.current == customer_id:
            self.current = gone.came_from if gone.came_from is HOME or gone.came_from in self else HOME
        return self.current

    def clear(self) -> None:
        self._open.clear()
        self.current = HOME
        self.home_dirty = False

    # -- what each holds ---------------------------------------------------------------------------
    def name(self, customer_id: str, name: str, *, person: bool = True) -> None:
        c = self.get(customer_id)
        if c is not None:
            c.name, c.person = name, person

    def mark(self, place: str | None, dirty: bool) -> None:
        if place is HOME:
            self.home_dirty = dirty
        elif (c := self.get(place)) is not None:
            c.dirty = dirty

    def dirty(self, place: str | None) -> bool:
        if place is HOME:
            return self.home_dirty
        c = self.get(place)
        return c is not None and c.dirty

    def unsaved(self) -> list[str | None]:
        """The places with unsaved changes (quitting asks first)."""
        return [p for p in self.places() if self.dirty(p)]

    # -- the strip -----------------------------------------------------------------------------------
    @property
    def strip_shown(self) -> bool:
        """Shown when there is somewhere else to go than the way Escape goes back: at the search
        with a customer open, or with two customers or more open. (A single customer's card looks
        as it always did.)"""
        return bool(self._open) and (self.current is HOME or len(self._open) > 1)

    def strip(self, width: int) -> list[Piece]:
        """The strip in at most ``width`` columns: each piece is drawn as " N text " with one
        column between pieces; names are shortened to fit (the current one keeps the most)."""
        home = tr(HOME_LABEL) + ("*" if self.home_dirty else "")
        room = width - (len(home) + 4) - 5 * len(self._open)  # " N text " + separator, per piece
        room -= sum(c.dirty for c in self._open)
        limits = _share([len(c.name or NO_NAME) for c in self._open],
                        [c.customer_id == self.current for c in self._open], max(room, 0))
        pieces = [Piece(0, home, self.current is HOME, self.home_dirty)]
        for i, (c, limit) in enumerate(zip(self._open, limits), 1):
            text = shorten(c.name or NO_NAME, limit, person=c.person) if limit else ""
            pieces.append(Piece(i, text + ("*" if c.dirty else ""), c.customer_id == self.current, c.dirty))
        return pieces


def _share(wanted: list[int], current: list[bool], room: int) -> list[int]:
    """Columns for each name: what it needs if all fit; else an even share, the current one first
    served (up to 16 columns) when an even share would leave it unreadable."""
    if sum(wanted) <= room or not wanted:
        return list(wanted)
    n = len(wanted)
    even = room // n
    if even >= 8 or not any(current):
        limits = [min(w, even) for w in wanted]
    else:
        mine = min(wanted[current.index(True)], 16, room)
        rest = (room - mine) // max(n - 1, 1)
        limits = [mine if cur else min(w, rest) for w, cur in zip(wanted, current)]
    spare = room - sum(limits)  # what short names left over goes to the longer ones, in order
    for i, w in enumerate(wanted):
        extra = min(spare, w - limits[i])
        limits[i] += extra
        spare -= extra
    return limits


def shorten(name: str, limit: int, *, person: bool = True) -> str:
    """``name`` in at most ``limit`` columns: as it is, else "A. Müller" (a person), cut with "…"
    if need be; in very few columns, the initials."""
    if len(name) <= limit:
        return name
    words = name.split()
    initials = "".join(w[0] for w in (words[:1] + words[-1:] if len(words) > 1 else words))
    if limit <= 2 or (person and len(words) > 1 and limit <= 4):
        return initials[:limit]
    if person and len(words) > 1:
        name = f"{words[0][0]}. {words[-1]}"
        if len(name) <= limit:
            return name
    return name[:limit - 1] + "…"

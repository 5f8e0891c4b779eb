"""One module per resource: enrolment, sync (push and pull), customers, accounts, stores, health.

The protocol's models are built before any route is defined (domain.protocol.build_all)."""

from ....domain.protocol import build_all

build_all()

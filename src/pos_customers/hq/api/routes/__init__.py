"""One module per resource: enrolment, sync (push and pull), customers, accounts, stores, health."""

"""What a store already holds, as the importer's cross-checks read it.

Both stores' imports check new files against the documents stored (an application id
another student has, credits a stored application already spends, an account's review
steps); the PostgreSQL import (:mod:`.pg_import`) and the tests read it from here.  It
sits apart from :mod:`.loading`, which calls the PostgreSQL import, so that neither
imports the other (issue 14).
"""

from __future__ import annotations

from credx_tui.importing import AccountSpec, ApplicationSpec, ImportBundle
from credx_tui.store.base import DocumentStore


def existing_bundle(store: DocumentStore) -> ImportBundle:
    """What the store holds, in the shape the cross-checks of the importer read."""
    students = list(store.students())
    return ImportBundle(
        programmes=store.programmes(),
        students=students,
        transcripts=[t for s in students if (t := store.transcript(s.id)) is not None],
        accounts=[
            AccountSpec(
                username=a.username,
                role=a.role,
                display_name=a.display_name,
                colleges=a.colleges,
                review_steps=a.review_steps,
                disabled=a.disabled,
                password_hash=a.password_hash,
            )
            for a in store.accounts()
        ],
        # Every stored application, so that an id another student already has is
        # refused and credits spent by a stored application are not spent again.
        applications=[
            ApplicationSpec(application=app)
            for college in store.colleges()
            for app in store.applications(college)
        ],
    )

"""Adding, changing and removing associations of the embedded cluster, as slurmdbd does.

A new user association's parent is its account's association; a new account association's
parent is ``parent_account`` (root when not given). Removing an account association removes
those below it. A record in use by pending or running jobs cannot be removed
(ESLURM_JOBS_RUNNING_ON_ASSOC), nor a user's default association while the user has others
(ESLURM_NO_REMOVE_DEFAULT_ACCOUNT).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from slurmgate.backends.local.acct_book import (
    DELETED,
    ROOT,
    AccountingBook,
    EntityKey,
    deleted,
    invalid_account,
)
from slurmgate.backends.local.acct_rules import (
    Permissions,
    chosen,
    describe,
    given,
    live_qos,
    merge_limits,
    nothing,
)
from slurmgate.domain import Conflict, InvalidRequest, PermissionDenied, Principal
from slurmgate.domain.associations import Association, AssociationQuery
from slurmgate.domain.slurm_errno import (
    ESLURM_ACCESS_DENIED,
    ESLURM_JOBS_RUNNING_ON_ASSOC,
    ESLURM_NO_REMOVE_DEFAULT_ACCOUNT,
)


class AssociationAdmin:
    def __init__(
        self,
        book: AccountingBook,
        permissions: Permissions,
        changed: set[EntityKey],
        in_use: Callable[[list[Association]], bool],
    ) -> None:
        self.book = book
        self._permissions = permissions
        self.changed = changed
        self._in_use = in_use

    def set_associations(self, principal: Principal, assocs: list[Association]) -> list[str]:
        done = []
        for assoc in assocs:
            self._permissions.require_for(principal, assoc.account, "change associations")
            cluster = assoc.cluster or self.book.cluster
            if cluster != self.book.cluster:
                raise InvalidRequest(f"No cluster {cluster!r}: this cluster is {self.book.cluster}")
            old = self.book.find(assoc.account, assoc.user, assoc.partition)
            if old is None:
                self._check_new(assoc)
                parent = "" if assoc.user else assoc.parent_account or ROOT
                fresh = Association(assoc.account, cluster, assoc.user, assoc.partition)
                old = self.add(dataclasses.replace(fresh, parent_account=parent))
                done.append(f"added association {describe(old)}")
            new = self._changed(old, assoc)
            if new != old:
                self.book.associations[new.id] = new
                self.changed.add(("association", str(new.id)))
                if not done or done[-1] != f"added association {describe(old)}":
                    done.append(f"changed association {describe(new)}")
            if assoc.is_default and assoc.user:
                user = self.book.users[assoc.user]
                self.book.users[assoc.user] = dataclasses.replace(
                    user, default_account=assoc.account
                )
                self.changed.add(("user", assoc.user))
        return done

    def _check_new(self, assoc: Association) -> None:
        if assoc.account not in {n for n, a in self.book.accounts.items() if not deleted(a)}:
            raise invalid_account(f"No account {assoc.account!r}")
        if assoc.user:
            user = self.book.users.get(assoc.user)
            if user is None or deleted(user):
                raise invalid_account(f"No user {assoc.user!r}: add the user first")
            if self.book.find(assoc.account) is None:
                raise invalid_account(f"Account {assoc.account!r} has no association")
        elif self.book.find(assoc.parent_account or ROOT) is None:
            raise invalid_account(f"No parent account {assoc.parent_account!r}")
        for qos in (*(assoc.qos or ()), *([assoc.default_qos] if assoc.default_qos else [])):
            live_qos(self.book, qos)

    def _changed(self, old: Association, new: Association) -> Association:
        for qos in (*(new.qos or ()), *([new.default_qos] if new.default_qos else [])):
            live_qos(self.book, qos)
        fields = given(new, old, ("comment", "shares", "priority", "qos", "default_qos"))
        if new.parent_account and not old.user and old.account != ROOT:
            if self.book.find(new.parent_account) is None:
                raise invalid_account(f"No parent account {new.parent_account!r}")
            if new.parent_account in self.book.descendants(old.account):
                raise InvalidRequest(f"Account {old.account!r} cannot be its own ancestor")
            fields["parent_account"] = new.parent_account
        return dataclasses.replace(old, **fields, limits=merge_limits(old.limits, new.limits))  # type: ignore[arg-type]

    def remove_associations(self, principal: Principal, query: AssociationQuery) -> list[str]:
        if query.is_empty:
            raise InvalidRequest("Refusing to remove every association: give a filter")
        picked = [a for a in self.book.live_associations() if chosen(a, query, self.book.cluster)]
        if not picked:
            raise nothing("association matches")
        for assoc in picked:
            self._permissions.require_for(principal, assoc.account, "remove associations")
        below = [
            a
            for a in self.book.live_associations()
            if a not in picked
            and any(not c.user and a.account in self.book.descendants(c.account) for c in picked)
        ]
        everything = picked + below
        self.check_removable(everything)
        for assoc in everything:
            user = self.book.users.get(assoc.user)
            others = [
                a
                for a in self.book.live_associations()
                if a.user == assoc.user and a not in everything
            ]
            if user is not None and user.default_account == assoc.account and others:
                raise Conflict(
                    f"Association {describe(assoc)} is the default of user {user.name!r}",
                    error_number=ESLURM_NO_REMOVE_DEFAULT_ACCOUNT,
                    error="Can not remove the default account of a user",
                )
        self.delete(everything)
        return [describe(a) for a in everything]

    def add(self, assoc: Association) -> Association:
        new = dataclasses.replace(assoc, id=self.book.next_association_id())
        self.book.associations[new.id] = new
        self.changed.add(("association", str(new.id)))
        return new

    def delete(self, assocs: list[Association]) -> None:
        for assoc in assocs:
            self.book.associations[assoc.id] = dataclasses.replace(assoc, flags=(DELETED,))
            self.changed.add(("association", str(assoc.id)))

    def check_removable(self, assocs: list[Association]) -> None:
        if any(a.account == ROOT and not a.user for a in assocs):
            raise PermissionDenied(
                "The cluster's root association cannot be removed",
                error_number=ESLURM_ACCESS_DENIED,
            )
        if self._in_use(assocs):
            raise Conflict(
                "Jobs are pending or running on the associations to remove",
                error_number=ESLURM_JOBS_RUNNING_ON_ASSOC,
                error="Job(s) active, cancel job(s) before remove",
            )

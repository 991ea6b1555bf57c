"""The admin's options over the store: values with their origin, changes with an audit trail.

Table ``options``: one document per option an admin set, ``{key, value, set_by, set_at}``
(a secret is stored as given: the relay needs the SMTP password to log in). Table ``audit``:
one document per change, ``{at, actor, key, old, new, address?}`` (a reset adds ``reset_to``: the
source the value went back to), where a secret's ``old``/``new`` are
only ``(set)``/``(empty)``. The same table keeps what the admin did to accounts (``record``):
``{at, actor, key: "account.<what>", account, address}``, a new account's role in ``new``.
Reads are from memory; a change is durable once the caller's ``wait_durable`` returns (the
routes wait before answering).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from relay_server.errors import Refused
from relay_server.options.specs import OptionSpec, Source, shown
from relay_server.store import Store

OPTIONS = "options"
AUDIT = "audit"
MAX_AUDIT_SHOWN = 200


class Options:
    """Current values of every declared option; ``set()`` stores an admin's change.

    Args:
        store: the relay's store.
        specs: every option the relay knows.
        command_line: values given on the relay's command line (already checked), by key.
    """

    def __init__(
        self, store: Store, specs: Iterable[OptionSpec], command_line: dict[str, Any] | None = None
    ):
        self.store = store
        self.specs = {spec.key: spec for spec in specs}
        self.command_line = dict(command_line or {})
        self._admin: dict[str, Any] = {}
        self._doc_ids: dict[str, int] = {}
        self._read()
        self.version = 0  # raised on every change: users of the values re-read them

    def _read(self) -> None:
        self._admin.clear()
        self._doc_ids.clear()
        for doc in self.store.all(OPTIONS):
            if doc.get("key") in self.specs:
                self._admin[doc["key"]] = doc["value"]
                self._doc_ids[doc["key"]] = doc.doc_id

    def reload(self) -> list[str]:
        """Take the admin's values from the store again (another node changed them; the
        store has read its rows again). Returns the keys whose value changed here."""
        before = {key: self.get(key) for key in self.specs}
        self._read()
        changed = [key for key, value in before.items() if self.get(key) != value]
        if changed:
            self.version += 1
        return changed

    def get(self, key: str) -> Any:
        if key in self._admin:
            return self._admin[key]
        if key in self.command_line:
            return self.command_line[key]
        return self.specs[key].default

    def source(self, key: str) -> Source:
        if key in self._admin:
            return Source.ADMIN
        if key in self.command_line:
            return Source.COMMAND_LINE
        return Source.DEFAULT

    def view(self, prefix: str) -> dict[str, dict[str, Any]]:
        """``{field: {value, source}}`` of the options under ``prefix.``; secrets as ``set``."""
        view: dict[str, dict[str, Any]] = {}
        for key, spec in self.specs.items():
            if not key.startswith(prefix + "."):
                continue
            field = key[len(prefix) + 1 :]
            value = self.get(key)
            entry: dict[str, Any] = {"source": self.source(key).value}
            if spec.secret:
                entry["set"] = bool(value)
            else:
                entry["value"] = value
            view[field] = entry
        return view

    def describe(self, key: str) -> dict[str, Any]:
        """One option for the admin site: how to edit it, its value, where that came from,
        and the value a reset goes back to (the command line's, else the default)."""
        spec = self.specs[key]
        described = spec.describe()
        described["source"] = self.source(key).value
        value = self.get(key)
        if spec.secret:
            described["set"] = bool(value)
        else:
            described["value"] = value
            if key in self.command_line:
                described["command_line"] = self.command_line[key]
        return described

    def reset(self, keys: Iterable[str], actor: str, now: float, address: str = "") -> list[str]:
        """Forget the admin's value of ``keys``: each goes back to the command line's value,
        else the default. Audited like a change.

        Returns:
            The keys an admin had set (the others were no change). Call ``wait_durable``.

        Raises:
            Refused: ``bad_setting`` for an unknown key (nothing is reset then).
        """
        keys = list(keys)
        for key in keys:
            if key not in self.specs:
                field = key.split(".", 1)[-1]
                raise Refused(
                    "bad_setting", f"{field}: no such setting", details={"field": field, "key": key}
                )
        reset = []
        for key in dict.fromkeys(keys):
            if key not in self._admin:
                continue
            old = self._admin.pop(key)
            self.store.remove(OPTIONS, self._doc_ids.pop(key))
            self._audit(key, old, self.get(key), actor, now, reset=True, address=address)
            reset.append(key)
        if reset:
            self.version += 1
        return reset

    def _audit(
        self, key: str, old: Any, new: Any, actor: str, now: float, reset: bool, address: str
    ) -> None:
        spec = self.specs[key]
        entry = {"at": now, "actor": actor, "key": key, "old": shown(spec, old),
                 "new": shown(spec, new)}  # fmt: skip
        if reset:
            entry["reset_to"] = self.source(key).value
        if address:
            entry["address"] = address
        self.store.insert(AUDIT, entry)

    def set(self, changes: dict[str, Any], actor: str, now: float, address: str = "") -> list[str]:
        """Store an admin's values (all checked first: one bad value changes nothing);
        ``address`` is the admin's client address, kept in each audit entry.

        Returns:
            The keys whose value changed; each has an audit entry. Call ``wait_durable``.

        Raises:
            Refused: ``bad_setting`` for an unknown key or a value its check refuses.
        """
        checked: dict[str, Any] = {}
        for key, value in changes.items():
            spec = self.specs.get(key)
            if spec is None:
                field = key.split(".", 1)[-1]
                raise Refused(
                    "bad_setting", f"{field}: no such setting", details={"field": field, "key": key}
                )
            checked[key] = spec.checked(value)
        changed = []
        for key, value in checked.items():
            old = self.get(key)
            if value == old:  # the same value again (a form sends every field): no change
                continue
            doc = {"key": key, "value": value, "set_by": actor, "set_at": now}
            if key in self._doc_ids:
                self.store.update(OPTIONS, self._doc_ids[key], doc)
            else:
                self._doc_ids[key] = self.store.insert(OPTIONS, doc)
            self._admin[key] = value
            self._audit(key, old, value, actor, now, reset=False, address=address)
            changed.append(key)
        if changed:
            self.version += 1
        return changed

    def record(self, key: str, actor: str, now: float, **details: Any) -> None:
        """An audit entry of a change that is no option (``account.created``, ...): the same
        table, so the admin's audit log lists it between the option changes. Call
        ``wait_durable``."""
        self.store.insert(AUDIT, {"at": now, "actor": actor, "key": key, **details})

    def audit(
        self, prefix: str = "", limit: int = MAX_AUDIT_SHOWN, offset: int = 0
    ) -> list[dict[str, Any]]:
        """Audit entries (newest first) of keys under ``prefix``: ``limit`` of them after the
        first ``offset``."""
        return self._audit_entries(prefix)[offset : offset + limit]

    def audit_count(self, prefix: str = "") -> int:
        return len(self._audit_entries(prefix))

    def _audit_entries(self, prefix: str) -> list[dict[str, Any]]:
        # Newest first; the same second keeps the order of insertion (the document id).
        docs = [doc for doc in self.store.all(AUDIT) if doc["key"].startswith(prefix)]
        docs.sort(key=lambda doc: (doc["at"], doc.doc_id), reverse=True)
        return [dict(doc) for doc in docs]

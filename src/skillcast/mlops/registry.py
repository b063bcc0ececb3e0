"""The model registry: versions of ``skillcast`` and the two aliases that matter.

* ``champion`` — the version the service answers from (``models:/skillcast@champion``).
  Only ``promote`` and ``rollback`` move it, so serving changes only by a decision.
* ``challenger`` — the latest candidate a retrain evaluated and did not promote (kept so
  it can be looked at, or promoted by hand with ``skillcast models rollback VERSION``).

The order in which versions were champion is kept as a registered-model tag, so
``rollback`` with no version is an undo: it returns to the champion before the current
one, and again to the one before that. Versions trained on synthetic demo data can be
registered (the demo does) but never become champion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

TrackingError = MlflowException  # what a tracking store that is unreachable or refuses raises (for callers outside mlops)

CHAMPION = "champion"
CHALLENGER = "challenger"
HISTORY_TAG = "skillcast.champion_history"  # comma list of versions, oldest first
HISTORY_KEPT = 200  # a tag value holds at most a few thousand characters

# tags skillcast sets on each version it registers
TAG_KIND = "skillcast.kind"  # demo | train | retrain
TAG_SYNTHETIC = "skillcast.synthetic"
TAG_MODEL = "skillcast.model"
TAG_FINGERPRINT = "skillcast.fingerprint"
TAG_MASE = "skillcast.mase"
TAG_DECISION = "skillcast.decision"
TAG_PROMOTED_AT = "skillcast.promoted_at"


class RegistryError(ValueError):
    """A request the registry cannot honour (unknown version, nothing to roll back to)."""


class ChampionMoved(RegistryError):
    """The champion is not the one a promotion was decided against: someone else moved it."""

    def __init__(self, expected: str | None, found: str | None):
        self.expected, self.found = expected, found
        super().__init__(
            f"the champion moved from {_name(expected)} to {_name(found)} while this decision was being made "
            "(another run or a person); nothing was promoted"
        )


def _name(version: str | None) -> str:
    return f"version {version}" if version else "none"


UNCHANGED = object()  # promote's default: no expectation about the current champion


@dataclass(frozen=True)
class Version:
    version: str
    created: datetime
    run_id: str | None
    aliases: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def synthetic(self) -> bool:
        return self.tags.get(TAG_SYNTHETIC, "").lower() == "true"


def _best_effort(undo) -> None:
    """Put something back after a failed write; if even that fails, the first error is the one to report."""
    try:
        undo()
    except Exception:  # noqa: BLE001
        pass


def _missing(error: MlflowException) -> bool:
    return error.error_code in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND")


class Registry:
    """One registered model in one tracking store; every call goes to the store (no cache)."""

    def __init__(self, tracking_uri: str, name: str = "skillcast"):
        self.tracking_uri = tracking_uri
        self.name = name
        self.client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)

    # -- reading ------------------------------------------------------------------
    def _model(self):
        try:
            return self.client.get_registered_model(self.name)
        except MlflowException as error:
            if _missing(error):
                return None
            raise

    def aliases(self) -> dict[str, str]:
        model = self._model()
        return {alias: str(version) for alias, version in (model.aliases if model else {}).items()}

    def alias(self, alias: str) -> str | None:
        return self.aliases().get(alias)

    def champion(self) -> str | None:
        return self.alias(CHAMPION)

    def history(self) -> list[str]:
        model = self._model()
        text = (model.tags or {}).get(HISTORY_TAG, "") if model else ""
        return [part for part in text.split(",") if part]

    def versions(self) -> list[Version]:
        """Every version, oldest first, with its aliases and tags."""
        if self._model() is None:
            return []
        by_version: dict[str, list[str]] = {}
        for alias, version in self.aliases().items():
            by_version.setdefault(version, []).append(alias)
        found = self.client.search_model_versions(f"name='{self.name}'")
        versions = [
            Version(
                version=str(item.version),
                created=datetime.fromtimestamp(item.creation_timestamp / 1000, tz=UTC),
                run_id=item.run_id,
                aliases=tuple(sorted(by_version.get(str(item.version), []))),
                tags=dict(item.tags or {}),
            )
            for item in found
        ]
        return sorted(versions, key=lambda item: int(item.version))

    def version(self, version: str) -> Version:
        for item in self.versions():
            if item.version == str(version):
                return item
        known = [item.version for item in self.versions()]
        raise RegistryError(f"model {self.name!r} has no version {version!r}; versions: {', '.join(known) or 'none yet'}")

    def find(self, tag: str, value: str) -> Version | None:
        """The newest version whose ``tag`` equals ``value`` (e.g. the same data fingerprint)."""
        matching = [item for item in self.versions() if item.tags.get(tag) == value]
        return matching[-1] if matching else None

    def decided(self, tag: str, value: str) -> Version | None:
        """The newest version whose ``tag`` equals ``value`` *and* whose run finished its
        decision (``TAG_DECISION`` set, or it is the champion). A version left without one by
        a run that was killed does not count: its inputs have not been judged yet."""
        champion = self.champion()
        matching = [
            item for item in self.versions() if item.tags.get(tag) == value and (TAG_DECISION in item.tags or item.version == champion)
        ]
        return matching[-1] if matching else None

    def snapshot(self) -> dict:
        """Everything a failed run must leave as it was: versions, their tags, aliases, history."""
        return {
            "versions": {item.version: dict(item.tags) for item in self.versions()},
            "aliases": self.aliases(),
            "history": self.history(),
        }

    # -- writing ------------------------------------------------------------------
    def tag(self, version: str, tags: dict[str, object]) -> None:
        for key, value in tags.items():
            self.client.set_model_version_tag(self.name, str(version), key, str(value))

    def set_challenger(self, version: str) -> None:
        self.client.set_registered_model_alias(self.name, CHALLENGER, str(version))

    def restore_alias(self, alias: str, version: str | None) -> None:
        """Put ``alias`` back where it was (``None``: nowhere)."""
        if version is None:
            if alias in self.aliases():
                self.client.delete_registered_model_alias(self.name, alias)
        else:
            self.client.set_registered_model_alias(self.name, alias, version)

    def discard(self, version: str, challenger_before: str | None) -> None:
        """Undo a registration by a run that failed later: delete it, restore the challenger."""
        self.restore_alias(CHALLENGER, challenger_before)
        self.client.delete_model_version(self.name, str(version))

    def promote(self, version: str, expected=UNCHANGED) -> str | None:
        """Make ``version`` the champion; return the previous champion.

        With ``expected`` (a version, or None for "no champion"), a compare-and-swap: the
        champion is read again immediately before the alias moves; if it is not
        ``expected`` (another run or a person moved it since the caller decided), nothing
        is promoted and ``ChampionMoved`` is raised. It works on any tracking store, with
        no lock, from reads and writes of the alias alone; MLflow has no atomic
        conditional write, so two promotions within the same few milliseconds (between
        that read and the write) are not told apart.

        Moving the champion alias is the last write; everything written before it (the
        history, the version's promoted-at tag, the challenger alias) is put back if that
        move fails, so the champion only ever changes together with its bookkeeping.
        """
        version = str(version)
        target = self.version(version)
        if target.synthetic:
            raise RegistryError(f"version {version} was trained on SYNTHETIC demo data; it cannot become champion")
        previous = self.champion()
        if expected is not UNCHANGED and previous != expected:
            raise ChampionMoved(expected, previous)
        if previous == version:
            return previous
        history, challenger = self.history(), self.alias(CHALLENGER)
        promoted_before = target.tags.get(TAG_PROMOTED_AT)
        try:
            self.tag(version, {TAG_PROMOTED_AT: datetime.now(UTC).isoformat(timespec="seconds")})
            self._write_history([*history, version])
            if challenger == version:
                self.client.delete_registered_model_alias(self.name, CHALLENGER)
            if expected is not UNCHANGED and self.champion() != previous:  # the compare of compare-and-swap, as late as it can be
                raise ChampionMoved(expected, self.champion())
            self.client.set_registered_model_alias(self.name, CHAMPION, version)
        except BaseException:
            _best_effort(lambda: self._write_history(history))
            _best_effort(lambda: self.restore_alias(CHALLENGER, challenger))
            if promoted_before is None:
                _best_effort(lambda: self.client.delete_model_version_tag(self.name, version, TAG_PROMOTED_AT))
            else:
                _best_effort(lambda: self.tag(version, {TAG_PROMOTED_AT: promoted_before}))
            raise
        return previous

    def rollback(self, version: str | None = None) -> tuple[str | None, str]:
        """Move the champion back; return (from, to).

        Without ``version``: to the champion before the current one (an undo; repeat to go
        further back). With ``version``: to that version, which is then the newest entry of
        the history (so a later plain rollback undoes this one); this also names a first
        champion by hand.
        """
        current = self.champion()
        if version is not None:
            version = str(version)
            if version == current:
                raise RegistryError(f"version {version} is already the champion")
            self.promote(version)
            return current, version
        if current is None:
            raise RegistryError(f"model {self.name!r} has no champion yet; nothing to roll back (name a VERSION to make one champion)")
        history = self.history()
        while history and history[-1] == current:
            history.pop()
        if not history:
            raise RegistryError(f"no earlier champion of {self.name!r} to roll back to (champion is version {current}); name a VERSION")
        target = history[-1]
        self.version(target)  # still there?
        before = self.history()
        self._write_history(history)
        try:
            self.client.set_registered_model_alias(self.name, CHAMPION, target)
        except BaseException:
            _best_effort(lambda: self._write_history(before))
            raise
        return current, target

    def _write_history(self, history: list[str]) -> None:
        self.client.set_registered_model_tag(self.name, HISTORY_TAG, ",".join(history[-HISTORY_KEPT:]))

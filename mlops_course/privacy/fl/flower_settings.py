"""Typed settings of the course's Flower runs: one source of every default.

Flower hands a run its configuration as a flat dict with dashed keys (``[tool.flwr.app.config]`` of
the app's ``pyproject.toml``, ``flwr run --run-config``, or ``settings=`` in process).
:class:`FlowerSettings` is that dict as a validated, typed object: :meth:`FlowerSettings.merge` reads
(and coerces) any such mapping, :meth:`FlowerSettings.as_run_config` writes it back. The app's
``pyproject.toml`` repeats the defaults because Flower reads them from there; a test checks that
both agree.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from mlops_course.privacy.fl.attacks import untargeted_attack
from mlops_course.privacy.fl.task import TrainConfig

__all__ = ["STRATEGIES", "FlowerSettings", "split_names"]

STRATEGIES = ("fedavg", "fedprox", "median", "trimmed_mean", "krum", "multi_krum")


def split_names(value: Any) -> list[str]:
    """``"0,3"`` / ``"0 3"`` / ``[0, 3]`` -> ``["0", "3"]``."""
    if isinstance(value, (list, tuple)):
        value = " ".join(str(v) for v in value)
    return str(value).replace(",", " ").split()


@dataclass(frozen=True)
class FlowerSettings:
    """Run configuration of the course's Flower App (see ``flower_sim``'s module docstring).

    Every field is coerced to its annotated type (``"3"`` -> 3: Flower run configs arrive as
    text or TOML values); setting names use ``-`` instead of ``_`` in Flower's run config.

    Parameters
    ----------
    num_server_rounds : int
        Rounds per strategy.
    seed : int
        Seed of the data split, the initial model and the clients' generators.
    scheme : {"iid", "dirichlet", "shards"}
        Partition scheme.
    alpha : float
        Dirichlet concentration of the ``dirichlet`` scheme (> 0; small = very non-IID).
    epochs, batch_size, lr, mu, l2, hidden
        Local training (:class:`~mlops_course.privacy.fl.task.TrainConfig`; ``mu`` the FedProx
        proximal weight, ``hidden`` the hidden layer sizes like ``"32 16"``).
    strategy : str
        One name of :data:`STRATEGIES` or several separated by spaces/commas, run in turn.
    trim_beta : float
        Fraction trimmed per side by FedTrimmedAvg.
    num_malicious : int
        The number f of attackers (Multi-)Krum assumes.
    malicious : str
        Partition ids that attack (``"0,3"``; ``""`` = none).
    attack : {"sign_flip", "noise"}
        What the attackers send (:func:`~mlops_course.privacy.fl.attacks.untargeted_attack`).
    attack_boost : float
        The attack's strength: boost γ of a sign flip, σ of the noise.
    result_path : str
        Where a separate-process run writes its history as JSON ("" = nowhere).
    num_partitions : int
        Nodes per round (0 = all connected).
    fail_partition : int
        A partition whose ClientApp raises (tests of failure handling; -1 = none).

    Raises
    ------
    ValueError
        If a value cannot be coerced to its field's type (a float with a fraction for an int
        field included), ``strategy`` names no, an unknown or a repeated strategy, ``malicious``
        is not a list of ids >= 0, or ``attack``/``attack_boost`` are invalid.
    """

    num_server_rounds: int = 3
    seed: int = 0
    scheme: str = "iid"
    alpha: float = 0.5
    epochs: int = 1
    batch_size: int = 16
    lr: float = 0.1
    mu: float = 0.0
    l2: float = 0.0
    hidden: str = ""
    strategy: str = "fedavg"
    trim_beta: float = 0.2
    num_malicious: int = 0
    malicious: str = ""
    attack: str = "sign_flip"
    attack_boost: float = 5.0
    result_path: str = ""
    num_partitions: int = 0
    fail_partition: int = -1

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            kind = {"int": int, "float": float, "str": str}[str(f.type)]
            if kind is str and isinstance(value, (list, tuple)):
                value = " ".join(str(v) for v in value)
            try:
                coerced = kind(value)
            except (TypeError, ValueError):
                raise ValueError(f"{f.name.replace('_', '-')} must be {'an' if kind is int else 'a'} {kind.__name__}, "
                                 f"got {value!r}") from None
            if kind is int and isinstance(value, float) and value != coerced:
                raise ValueError(f"{f.name.replace('_', '-')} must be a whole number, got {value!r}")
            object.__setattr__(self, f.name, coerced)
        self.strategies  # noqa: B018 - validates
        self.malicious_ids  # noqa: B018
        untargeted_attack(self.attack, self.attack_boost)

    # ---------------------------------------------------------------- views
    @property
    def strategies(self) -> list[str]:
        """The strategy names, validated (distinct, each in :data:`STRATEGIES`)."""
        names = split_names(self.strategy)
        bad = [n for n in names if n not in STRATEGIES]
        if not names or bad or len(set(names)) < len(names):
            raise ValueError(f"strategy must name one or more distinct strategies of {STRATEGIES}, "
                             f"got {self.strategy!r}")
        return names

    @property
    def malicious_ids(self) -> set[int]:
        """Partition ids that attack, validated as ints >= 0."""
        try:
            ids = {int(v) for v in split_names(self.malicious)}
        except ValueError:
            raise ValueError(f"malicious must list partition ids like '0,3', got {self.malicious!r}") from None
        if any(i < 0 for i in ids):
            raise ValueError(f"malicious partition ids must be >= 0, got {self.malicious!r}")
        return ids

    @property
    def train_config(self) -> TrainConfig:
        """Local training as the numpy engine's :class:`TrainConfig`."""
        return TrainConfig.from_dict({"epochs": self.epochs, "batch_size": self.batch_size, "lr": self.lr,
                                      "mu": self.mu, "l2": self.l2, "hidden": self.hidden})

    # ---------------------------------------------------------------- conversions
    def as_run_config(self) -> dict[str, Any]:
        """The flat dict with dashed keys that Flower passes around."""
        return {k.replace("_", "-"): v for k, v in asdict(self).items()}

    @classmethod
    def merge(cls, *configs: Mapping[str, Any] | None, **options: Any) -> FlowerSettings:
        """Defaults, overridden by each mapping in turn (dashed or underscored keys), then ``options``.

        Raises
        ------
        ValueError
            On an unknown key or an invalid value.
        """
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for config in (*configs, options):
            for key, value in dict(config or {}).items():
                name = str(key).replace("-", "_")
                if name not in known:
                    raise ValueError(f"unknown setting {key!r}; allowed: {sorted(k.replace('_', '-') for k in known)}")
                values[name] = value
        return cls(**values)

    def with_train_config(self, config: TrainConfig | None) -> FlowerSettings:
        """A copy whose local-training fields come from ``config`` (unchanged if None)."""
        if config is None:
            return self
        cfg = config.as_dict()
        return replace(self, epochs=cfg["epochs"], batch_size=cfg["batch_size"], lr=cfg["lr"], mu=cfg["mu"],
                       l2=cfg["l2"], hidden=str(cfg["hidden"]))

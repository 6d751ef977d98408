"""`supportmetrics.toml`: the workspace's settings, validated on load with clear errors."""

from __future__ import annotations

import ipaddress
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from supportmetrics.alerts.settings import AlertSettings, check_alerts
from supportmetrics.calendar import DEFAULT_SCHEDULE_ID, Schedule
from supportmetrics.delivery.settings import DeliverySettings, SmtpSettings, WebhookSettings
from supportmetrics.reports.settings import ReportSettings, check_reports
from supportmetrics.stats import is_stat

__all__ = [
    "CONFIG_FILE",
    "DEFAULT_TOML",
    "SLA_TARGETS",
    "Config",
    "ConfigError",
    "IngestSettings",
    "ScheduleSettings",
    "ServerSettings",
    "SlaPolicy",
    "SparkSettings",
    "StatisticsSettings",
    "StoreSettings",
    "TargetSettings",
    "load_config",
    "parse_duration",
    "validate_config",
]

CONFIG_FILE = "supportmetrics.toml"


class ConfigError(ValueError):
    """The configuration file is unreadable or breaks a rule; the message says where and why."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SparkSettings(_Section):
    """`[store.spark]`: where the Spark session comes from and where it finds the canonical
    tables (see the README's "Running on Apache Spark")."""

    master: str | None = Field(
        None, description="start a Spark session on this master, e.g. local[4] or yarn"
    )
    remote: str | None = Field(
        None, description="connect to this Spark Connect server, e.g. sc://spark.example.com:15002"
    )
    tables: str | None = Field(
        None,
        description="a folder (or URI) of canonical tables as Parquet, one folder per table "
        "(what `supportmetrics export-lake` writes); relative paths are from the workspace",
    )
    database: str | None = Field(
        None, description="a catalogue database holding the canonical tables, e.g. main.support"
    )
    conf: dict[str, str | int | float | bool] = Field(
        default_factory=dict,
        description='extra Spark settings, static ones included (spark.driver.memory = "2g"); '
        "Arrow transfer is always on",
    )

    @model_validator(mode="after")
    def _one_of_each(self) -> SparkSettings:
        if self.master and self.remote:
            raise ValueError(
                "set master (a Spark session here) or remote (Spark Connect), not both"
            )
        if self.tables and self.database:
            raise ValueError("set tables (a Parquet folder) or database (a catalogue), not both")
        if self.remote and not self.remote.startswith("sc://"):
            raise ValueError(
                f"remote is a Spark Connect address like sc://host:15002; got {self.remote!r}"
            )
        return self


class StoreSettings(_Section):
    path: str = Field(
        "supportmetrics.duckdb", description="the DuckDB file, relative to the workspace"
    )
    url: str | None = Field(
        None,
        description="read the canonical tables from this database instead of the embedded store, "
        "e.g. postgres://user@host:5432/db?schema=support (any Ibis backend URL)",
    )
    engine: str | None = Field(
        None,
        description="the backend computing the metrics: duckdb, postgres, spark ([store.spark]) or "
        "ibis (any Ibis URL); by default the scheme of url decides, and without url the embedded "
        "store is used",
    )
    spark: SparkSettings | None = Field(
        None, description="the Spark session and tables when engine is spark ([store.spark])"
    )

    @field_validator("engine")
    @classmethod
    def _known_engine(cls, value: str | None) -> str | None:
        from supportmetrics.backends import BACKENDS  # the backends need no settings

        if value is not None and value not in BACKENDS:
            raise ValueError(f"unknown backend; the backends are: {', '.join(BACKENDS)}")
        return value

    @model_validator(mode="after")
    def _spark_settings_need_spark(self) -> StoreSettings:
        if self.spark is not None and self.engine != "spark":
            raise ValueError('[store.spark] is read only with engine = "spark" in [store]')
        if self.engine == "spark" and self.url:
            raise ValueError(
                'engine = "spark" reads its tables from [store.spark] (tables or database), '
                "not from url: remove url"
            )
        return self


class IngestSettings(_Section):
    busy_timeout: float = Field(
        30.0, ge=0, description="seconds an ingest waits for another one to finish before failing"
    )
    memory_limit: str = Field(
        "2GB", description="memory the ingest engine may use before it spills to disk"
    )
    max_custom_columns: int = Field(
        200,
        ge=0,
        description="most custom columns a table may have; a batch that would add more fails",
    )


class EngineSettings(_Section):
    memory_limit: str = Field(
        "6GB",
        pattern=r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
        description="memory the metric engine may use on the embedded store before it spills "
        "facts and joins to disk, e.g. 6GB or 512MB",
    )
    facts_cache: bool = Field(
        True,
        description="keep the facts built from the embedded store as Parquet files, reused by "
        "every later command, API call and dashboard until the store changes",
    )
    facts_folder: str = Field(
        ".supportmetrics/facts",
        min_length=1,
        description="where those files go, relative to the workspace (or an absolute path): a "
        "folder of this workspace's own, as each store deletes the versions it does not hold",
    )


class ServerSettings(_Section):
    trusted_proxies: tuple[str, ...] = Field(
        (),
        description="addresses or networks (e.g. 127.0.0.1, 10.0.0.0/8) of reverse proxies whose "
        "X-Forwarded-For header names the client; from any other peer it is ignored",
    )
    max_concurrent_queries: int = Field(
        1,
        ge=1,
        le=64,
        description="uncached dashboard queries that run side by side, each on its own connection "
        "(with its own copy of the facts in memory, if facts_in_memory): raise it on a machine "
        "with cores to spare",
    )
    facts_in_memory: bool = Field(
        True,
        description="copy the cached facts into each dashboard connection's memory once, so "
        "uncached queries do not read the fact files again (several times faster; the copies are "
        "made in the background, the files answering meanwhile); turn off when the facts "
        "outgrow the engine's memory_limit",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"{entry!r} is not an IP address or network; use e.g. 127.0.0.1 or 10.0.0.0/8"
                ) from None
        return value

    def trusts(self, peer: str) -> bool:
        """Whether `peer` (the connecting address) is one of the trusted proxies."""
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(address in ipaddress.ip_network(e, strict=False) for e in self.trusted_proxies)


class ScheduleSettings(Schedule):
    """A business-hours schedule, and the teams whose tickets run on it."""

    teams: list[str] = Field(default_factory=list)


_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*$")


def parse_duration(value: object) -> int:
    """Seconds from a number of seconds or text like "90s", "30m", "4h", "1d", "1h30m"."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        seconds = int(value)
    else:
        match = _DURATION.match(str(value))
        if not match or not any(match.groups()):
            raise ValueError(
                f"not a duration: {value!r}; write seconds (3600) or text like 30m, 4h, 1d, 1h30m"
            )
        d, h, m, sec = (int(g or 0) for g in match.groups())
        seconds = ((d * 24 + h) * 60 + m) * 60 + sec
    if seconds <= 0:
        raise ValueError(f"a target must be longer than 0 seconds; got {value!r}")
    return seconds


Duration = Annotated[int, BeforeValidator(parse_duration)]


class SlaPolicy(_Section):
    """An SLA policy: which tickets it covers (first match wins) and its targets."""

    name: str
    priority: list[str] = Field(default_factory=list)
    channel: list[str] = Field(default_factory=list)
    team: list[str] = Field(default_factory=list)
    tier: list[str] = Field(default_factory=list)
    clock: Literal["calendar", "business"] = "calendar"
    first_response_time: Duration | None = None
    next_response_time: Duration | None = None
    resolution_time: Duration | None = None

    @model_validator(mode="after")
    def _has_a_target(self) -> SlaPolicy:
        if not any(getattr(self, t) for t in SLA_TARGETS):
            raise ValueError(f"policy {self.name!r} sets none of {', '.join(SLA_TARGETS)}")
        return self


SLA_TARGETS = ("first_response_time", "next_response_time", "resolution_time")


class TargetSettings(_Section):
    """A metric's target ([targets.<metric id>]): a target without an owner and a next action is a
    decoration, so both are required."""

    value: float | str = Field(
        description="the target in the metric's unit: a duration for time metrics (4h, 30m), a "
        "percentage for shares and percents (85%; a share also takes 0.85), else a number"
    )
    owner: str = Field(min_length=1, description="who answers for the metric")
    next_action: str = Field(min_length=1, description="what is being done to reach the target")
    stat: str | None = Field(
        None, description="mean, median or pNN for durations (default: median for durations)"
    )
    clock: Literal["calendar", "business"] = "calendar"
    variants: dict[str, str | int | bool] = Field(default_factory=dict)
    where: dict[str, list[str]] = Field(
        default_factory=dict, description="filters, as `--where`: dimension -> accepted values"
    )

    @field_validator("stat")
    @classmethod
    def _known_stat(cls, value: str | None) -> str | None:
        if value is not None and not is_stat(value):
            raise ValueError(f"unknown stat {value!r}; use mean, median or pNN (p90)")
        return value

    def number(self, unit: str) -> float:
        """The target as a number in the metric's unit (seconds, share 0-1, ...)."""
        value = self.value
        if unit == "seconds":
            return float(parse_duration(value))
        text = str(value).strip()
        percent = text.endswith("%") and unit in ("share", "percent")
        try:
            number = float(text[:-1] if percent else text)
        except ValueError:
            raise ValueError(f"not a number: {value!r}") from None
        if unit == "share":
            number = number / 100 if percent else number
            if not 0 <= number <= 1:
                raise ValueError(f"a share target lies between 0 and 1 (0%-100%); got {value!r}")
        return number


class StatisticsSettings(_Section):
    min_sample: int = Field(
        30, ge=1, description="results with fewer observations are flagged low_sample"
    )


class Config(_Section):
    """Every setting, with the defaults that make the file optional."""

    timezone: str = Field(
        "UTC",
        description="IANA time zone: naive timestamps are read in it; periods are local to it",
    )
    store: StoreSettings = StoreSettings()
    ingest: IngestSettings = IngestSettings()
    engine: EngineSettings = EngineSettings()
    statistics: StatisticsSettings = StatisticsSettings()
    server: ServerSettings = ServerSettings()
    schedules: dict[str, ScheduleSettings] = Field(default_factory=dict)
    sla: list[SlaPolicy] = Field(
        default_factory=list, description="SLA policies, first match wins ([[sla]] tables)"
    )
    variants: dict[str, dict[str, str | int | bool]] = Field(
        default_factory=dict,
        description="per metric id, the team's own defaults for its definition variants",
    )
    targets: dict[str, TargetSettings] = Field(
        default_factory=dict, description="per metric id: target value, owner and next action"
    )
    alerts: dict[str, AlertSettings] = Field(
        default_factory=dict, description="alerts by name ([alerts.<name>], see the README)"
    )
    smtp: SmtpSettings | None = Field(None, description="the mail server reports and alerts use")
    webhooks: dict[str, WebhookSettings] = Field(
        default_factory=dict, description="signed webhook destinations ([webhooks.<name>])"
    )
    delivery: DeliverySettings = DeliverySettings()
    reports: dict[str, ReportSettings] = Field(
        default_factory=dict, description="scheduled reports ([reports.<name>])"
    )

    @model_validator(mode="after")
    def _reports_name_metrics_and_webhooks(self) -> Config:
        check_reports(self.reports, set(self.webhooks))
        return self

    @model_validator(mode="after")
    def _targets_name_metrics(self) -> Config:
        from supportmetrics.metrics import CATALOGUE  # the catalogue needs no settings

        for metric_id, target in self.targets.items():
            if metric_id not in CATALOGUE:
                raise ValueError(
                    f"targets.{metric_id}: unknown metric; the metrics are: {', '.join(CATALOGUE)}"
                )
            if CATALOGUE[metric_id].better is None:
                raise ValueError(
                    f"targets.{metric_id}: {metric_id} has no better direction, so no target "
                    "can be met or missed; set targets on the metrics it drives"
                )
            try:
                target.number(CATALOGUE[metric_id].unit)
            except ValueError as exc:
                raise ValueError(f"targets.{metric_id}.value: {exc}") from None
        return self

    @model_validator(mode="after")
    def _alerts_name_what_exists(self) -> Config:
        check_alerts(self.alerts, self.targets, bool(self.sla))
        return self

    @model_validator(mode="after")
    def _one_schedule_per_team(self) -> Config:
        seen: dict[str, str] = {}
        for name, schedule in self.schedules.items():
            for team in schedule.teams:
                if team in seen:
                    raise ValueError(
                        f"team {team!r} is in schedules {seen[team]!r} and {name!r}; "
                        "give each team one schedule"
                    )
                seen[team] = name
        return self

    def business_schedules(self) -> dict[str, Schedule]:
        """The configured schedules, with `default` (Mon-Fri 09:00-17:00) when none is named so."""
        schedules: dict[str, Schedule] = {
            name: Schedule.model_validate(s.model_dump(exclude={"teams"}))
            for name, s in self.schedules.items()
        }
        schedules.setdefault(DEFAULT_SCHEDULE_ID, Schedule())
        return schedules

    def team_schedules(self) -> dict[str, str]:
        """Team -> the schedule its tickets run on (teams not listed use `default`)."""
        return {team: name for name, s in self.schedules.items() for team in s.teams}

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}: use an IANA name such as 'America/New_York' or 'UTC'"
            ) from None
        return value


DEFAULT_TOML = """\
# supportmetrics workspace settings. Every key is optional; the values shown are the defaults.

# IANA time zone: timestamps without an offset are read in it, and days, weeks and months are local to it.
timezone = "UTC"

[store]
path = "supportmetrics.duckdb"   # the embedded store, relative to this folder
# url = "postgres://user@host:5432/db"   # or read the canonical tables from a database

[ingest]
busy_timeout = 30                # seconds an ingest waits for another one to finish
memory_limit = "2GB"             # memory the ingest engine may use before spilling to disk
max_custom_columns = 200         # most custom columns a table may have

[engine]
memory_limit = "6GB"             # memory the metric engine may use before spilling to disk
facts_cache = true               # keep the facts as files, reused by every command until the next ingest
facts_folder = ".supportmetrics/facts"   # where, relative to this folder
"""


def load_config(path: Path) -> Config:
    """Read and validate `path`; a missing file gives the defaults."""
    if not path.exists():
        return Config()
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return validate_config(data, str(path))


def validate_config(data: dict[str, Any], where: str) -> Config:
    """Settings from parsed TOML; a ConfigError names `where`, each bad key and why."""
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(where, exc)) from None


def _describe(where: str, exc: ValidationError) -> str:
    lines = [f"{where}: {exc.error_count()} problem(s)"]
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "(top level)"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key; check its spelling against the documented settings"
        lines.append(f"  {key}: {message} (got {error.get('input')!r})")
    return "\n".join(lines)

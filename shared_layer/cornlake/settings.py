"""Each function's environment, read once at cold start into a typed object.

Every environment variable CornLake reads is named here and nowhere else; template.yaml
sets them, and the local runtime sets them from template.yaml.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from functools import cache
from typing import ClassVar

from cornlake.errors import ConfigError

DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
DEFAULT_METRICS_NAMESPACE = "CornLake"
METRICS_NAMESPACE_ENV = "POWERTOOLS_METRICS_NAMESPACE"  # powertools reads it too
DATASETS_DIR_ENV = "CORNLAKE_DATASETS_DIR"  # contracts from a folder instead of the layer's copy
MODELS_DIR_ENV = "CORNLAKE_MODELS_DIR"  # models from a folder instead of the layer's copy


@dataclass(frozen=True)
class Settings:
    landing_bucket: str = ""
    raw_bucket: str = ""
    curated_bucket: str = ""
    quarantine_bucket: str = ""
    ops_bucket: str = ""
    curated_topic_arn: str = ""
    glue_database: str = ""
    ops_glue_database: str = ""
    raw_glue_database: str = ""  # the raw zone's tables, as the data arrived
    athena_workgroup: str = ""  # where the catalog saves each dataset's example queries
    models_workgroup: str = ""  # where the models function runs its Athena queries
    lake_formation_tags: str = ""  # "true": PII columns are tagged for Lake Formation
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    transform_queue_url: str = ""
    split_bytes: int = 2 * 1024**3
    engine_memory_mb: int = 0  # the transform's DuckDB working memory; 0 = cornlake.transform's default
    target_file_mb: int = 128  # curated Parquet files roll over at about this size
    quality_memory_mb: int = 160  # the quality check's DuckDB working memory; beyond it, it spills
    quality_rule_timeout_s: int = 120  # a rule still running after this is an error outcome
    quality_reference_max_mb: int = 512  # the largest reference table ReferentialIntegrity downloads
    catalog_queue_url: str = ""  # where quality hands a published (audited) batch to the catalog
    alert_topic_arn: str = ""  # held batches, late datasets: people are told here
    reconcile_days: int = 2  # the scheduled reconciliation looks back this many ingest days
    reconcile_grace_minutes: int = 30  # raw objects younger than this are still in flight: not judged
    silence_minutes: int = 60  # a stage this long behind its input is silent
    compact_min_files: int = 8  # a partition with at least this many small files is compacted
    compact_grace_minutes: int = 60  # an unused compacted generation is deleted after this
    models_queue_url: str = ""  # where the catalog announces tables whose rows changed (models run)
    lineage_url: str = ""  # OpenLineage events POSTed here (e.g. Marquez's /api/v1/lineage)
    lineage_s3_uri: str = ""  # and/or written under this s3://bucket/prefix, one object per event
    lineage_namespace: str = "cornlake"  # the OpenLineage namespace of CornLake's jobs
    metrics_namespace: str = DEFAULT_METRICS_NAMESPACE

    ENV: ClassVar[dict[str, str]] = {
        "landing_bucket": "LANDING_BUCKET",
        "raw_bucket": "RAW_BUCKET",
        "curated_bucket": "CURATED_BUCKET",
        "quarantine_bucket": "QUARANTINE_BUCKET",
        "ops_bucket": "OPS_BUCKET",
        "curated_topic_arn": "CURATED_TOPIC_ARN",
        "glue_database": "GLUE_DATABASE",
        "ops_glue_database": "OPS_GLUE_DATABASE",
        "raw_glue_database": "RAW_GLUE_DATABASE",
        "athena_workgroup": "ATHENA_WORKGROUP",
        "models_workgroup": "MODELS_WORKGROUP",
        "lake_formation_tags": "LAKE_FORMATION_TAGS",
        "max_body_bytes": "MAX_BODY_BYTES",
        "transform_queue_url": "TRANSFORM_QUEUE_URL",
        "split_bytes": "TRANSFORM_SPLIT_BYTES",
        "engine_memory_mb": "TRANSFORM_ENGINE_MEMORY_MB",
        "target_file_mb": "TRANSFORM_TARGET_FILE_MB",
        "quality_memory_mb": "QUALITY_MEMORY_MB",
        "quality_rule_timeout_s": "QUALITY_RULE_TIMEOUT_S",
        "quality_reference_max_mb": "QUALITY_REFERENCE_MAX_MB",
        "catalog_queue_url": "CATALOG_QUEUE_URL",
        "alert_topic_arn": "ALERT_TOPIC_ARN",
        "reconcile_days": "RECONCILE_DAYS",
        "reconcile_grace_minutes": "RECONCILE_GRACE_MINUTES",
        "silence_minutes": "SILENCE_MINUTES",
        "compact_min_files": "COMPACT_MIN_FILES",
        "compact_grace_minutes": "COMPACT_GRACE_MINUTES",
        "models_queue_url": "MODELS_QUEUE_URL",
        "lineage_url": "LINEAGE_URL",
        "lineage_s3_uri": "LINEAGE_S3_URI",
        "lineage_namespace": "LINEAGE_NAMESPACE",
        "metrics_namespace": METRICS_NAMESPACE_ENV,
    }

    @classmethod
    def from_env(cls, *required: str) -> Settings:
        """Read the environment; every name in ``required`` (field names) must be set."""
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = os.environ.get(cls.ENV[f.name], "")
            if raw:
                values[f.name] = _integer(cls.ENV[f.name], raw) if f.type == "int" else raw
        missing = [cls.ENV[name] for name in required if not values.get(name)]
        if missing:
            raise ConfigError(
                f"missing environment variables: {', '.join(missing)}",
                hint="template.yaml sets them; locally `cornlake local start` does",
            )
        return cls(**values)  # type: ignore[arg-type]

    @property
    def target_file_bytes(self) -> int:
        return self.target_file_mb * 1024 * 1024


def _integer(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an integer", hint="set it to a whole number") from None


@cache
def settings_for(*required: str) -> Settings:
    """Settings for one function, cached for the life of the execution environment."""
    return Settings.from_env(*required)


def metrics_namespace() -> str:
    return os.environ.get(METRICS_NAMESPACE_ENV) or DEFAULT_METRICS_NAMESPACE

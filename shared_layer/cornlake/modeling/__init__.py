"""Models: aggregation, separation, analysis and machine learning on curated data.

spec      one model as a value (its file and YAML sidecar), ModelError
sqlcheck  what a SQL model's text says: one SELECT, its input tables, its output columns
project   every model of a folder, checked together, in dependency order (cycles refused)
output    Parquet in the curated bucket, the Glue table, the swap (docs/MODELS.md)
runner    compute, audit, write, swap and record each model, in order
"""

from cornlake.modeling.project import Project, default_models_dir, load_project
from cornlake.modeling.runner import STAGE, Engine, Lake, run_models
from cornlake.modeling.spec import MATERIALIZATIONS, MODELS_SOURCE, Model, ModelError

__all__ = [
    "MATERIALIZATIONS",
    "MODELS_SOURCE",
    "STAGE",
    "Engine",
    "Lake",
    "Model",
    "ModelError",
    "Project",
    "default_models_dir",
    "load_project",
    "run_models",
]

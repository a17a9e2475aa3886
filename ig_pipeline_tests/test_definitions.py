"""The code location `dagster dev` / `dg` load (ig_pipeline/definitions.py)."""

import dagster as dg


def test_definitions_load():
    from ig_pipeline.definitions import defs

    with dg.instance_for_test():  # a live instance, as `dagster dev` has (Dagster keeps global load state)
        dg.Definitions.validate_loadable(defs)

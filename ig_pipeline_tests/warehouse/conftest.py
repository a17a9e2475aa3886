from ig_pipeline_tests.warehouse.known_data import known_data  # noqa: F401  (fixture)

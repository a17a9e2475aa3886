from ig_pipeline_tests.simenv import make_env  # noqa: F401  (fixture)

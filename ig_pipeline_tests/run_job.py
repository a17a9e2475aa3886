"""Run one job in its own process (so a test can SIGKILL it):
python -m ig_pipeline_tests.run_job SIM_URL DB_URL|embedded NOW JOB PARTITION [CONCURRENCY [ACCOUNTS_PER_WRITE]]."""

import sys

import dagster as dg

from ig_pipeline.clock import PipelineClock
from ig_pipeline.definitions import make_definitions
from ig_pipeline.graph.resource import InstagramGraphAPI
from ig_pipeline.warehouse.resource import PostgresWarehouse


def main(sim_url: str, db_url: str, now: str, job: str, partition: str, concurrency: str = "32",
         accounts_per_write: str = "50") -> int:
    defs = make_definitions({
        "graph": InstagramGraphAPI(base_url=sim_url, instagram_base_url=sim_url, version="v24.0", app_secret=None,
                                   concurrency=int(concurrency)),
        "warehouse": PostgresWarehouse(database_url=None if db_url == "embedded" else db_url,
                                       accounts_per_write=int(accounts_per_write)),
        "clock": PipelineClock(fixed_now=now)})
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def(job).execute_in_process(instance=instance, partition_key=partition,
                                                          raise_on_error=False)
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))

"""Daily upkeep: token lifecycle (refresh / flag for reconnection) and intraday partition retention."""


import asyncio

import dagster as dg

from ig_pipeline.clock import PipelineClock
from ig_pipeline.connections.lifecycle import token_upkeep
from ig_pipeline.graph.resource import InstagramGraphAPI
from ig_pipeline.resources import PipelineOptions, TokenVault
from ig_pipeline.warehouse.personal_data import purge_comments
from ig_pipeline.warehouse.resource import PostgresWarehouse
from ig_pipeline.warehouse.table_partitions import maintain


@dg.op(description="Refresh Instagram-login tokens before they expire; flag Facebook tokens that need a reconnect.")
def token_upkeep_op(context: dg.OpExecutionContext, graph: InstagramGraphAPI, warehouse: PostgresWarehouse,
                    tokens: TokenVault, clock: PipelineClock) -> dg.Output[dict]:
    cipher = tokens.cipher()

    async def run() -> dict:
        async with graph.client() as client:
            with warehouse.transaction() as conn:
                return await token_upkeep(conn, client, cipher, clock.now())

    report = asyncio.run(run())
    context.log.info(f"token upkeep: {report}")
    return dg.Output(report, metadata={k: v for k, v in report.items() if isinstance(v, int | float | str)})


@dg.op(description="Create the coming months' intraday partitions and drop those past retention.")
def partition_upkeep_op(context: dg.OpExecutionContext, warehouse: PostgresWarehouse, options: PipelineOptions,
                        clock: PipelineClock) -> dg.Output[dict]:
    with warehouse.transaction() as conn:
        report = maintain(conn, clock.now().date(), options.intraday_retention_months)
    context.log.info(f"partitions created {report['created']}, dropped {report['dropped']}")
    return dg.Output(report, metadata={"created": len(report["created"]), "dropped": len(report["dropped"])})


@dg.op(description="Delete comments and mentions older than IG_COMMENT_RETENTION_DAYS; clear stored comment "
                   "text when IG_COMMENT_TEXT=off.")
def comment_retention_op(context: dg.OpExecutionContext, warehouse: PostgresWarehouse, options: PipelineOptions,
                         clock: PipelineClock) -> dg.Output[dict]:
    with warehouse.transaction() as conn:
        report = purge_comments(conn, clock.now(), options.comment_retention_days, options.comment_text)
    context.log.info(f"comment retention: {report}")
    return dg.Output(report, metadata=report)


@dg.job(description="Token lifecycle (refresh or flag for reconnection), intraday partition retention and "
                    "comment retention.", executor_def=dg.in_process_executor)
def upkeep_job():
    token_upkeep_op()
    partition_upkeep_op()
    comment_retention_op()


upkeep_schedule = dg.ScheduleDefinition(
    job=upkeep_job, cron_schedule="0 3 * * *", execution_timezone="UTC", default_status=dg.DefaultScheduleStatus.RUNNING,
    description="03:00 UTC: refresh tokens before they expire, flag those that need a reconnect, keep the "
                "intraday partitions (IG_INTRADAY_RETENTION_MONTHS).")

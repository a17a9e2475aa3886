"""Instagram analytics into Postgres with Dagster."""

import warnings

# The account-daily and media assets use BackfillPolicy.single_run() on purpose (a range backfill is one
# run per range). Dagster flags the parameter as beta every time the code
# location loads, in every process (webserver, daemon, each run worker): known, accepted, not news.
warnings.filterwarnings("ignore", message=r"Parameter `backfill_policy` of function `asset` is currently in beta")

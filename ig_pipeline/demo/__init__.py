"""`ig-pipeline demo`: the whole system on the simulator, on one machine, with one command."""

"""Baselines and the regression check: a stored measurement of a model with a profile, and a
later measurement of the same model, profile and inputs decided against it (`ortbench baseline`,
`ortbench check`). Units, the statistics and the store are one module each."""

"""Fleet runs: the local benchmark on every selected node of a Ray cluster, one verdict across them.

Ray is an optional extra (`pip install 'ortbench-tui[fleet]'`) and is imported only inside
this package; the CLI imports it lazily from `ortbench fleet`. The package sits beside the
faces: it drives `bench` on remote nodes, and neither `bench` nor the engine import it.

  cluster   connect to Ray, list and select nodes
  payload   node jobs (`NodeJob`: one (model, profile), the same on every node); models
            (with external data) and input files through the object store
  agent     the actor on each node: runs that node's jobs with the local runner, one at a time
  driver    starts the agents, merges their event streams, names dead nodes, cancels
  report    the (model, profile) x node table with the fastest node per row
  history   fleet results into the local history, and the history by host
  job       one fleet run from connecting to the report: `FleetJob`, the fleet's Job, which
            the CLI drives
"""

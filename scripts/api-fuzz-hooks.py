"""schemathesis hooks of scripts/api-fuzz."""

import schemathesis

# GET /v1/lobby/status?wait=N is a long-poll: a whole number of seconds, any over 30
# waiting 30. Generated cases carry large valid waits often (also in negative cases, beside
# the component they break), and each would hold the run 30 s: 400 examples took 15
# minutes. So a valid wait over 1 s is sent as 1 s; invalid ones (negative, fractions, not
# numbers) go as generated, and tests/app/lobby.rs covers the huge valid ones.
LONGEST_WAIT = 1


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.operation.path != "/v1/lobby/status" or not isinstance(case.query, dict):
        return
    wait = case.query.get("wait")
    if isinstance(wait, int) and not isinstance(wait, bool) and wait > LONGEST_WAIT:
        case.query["wait"] = LONGEST_WAIT

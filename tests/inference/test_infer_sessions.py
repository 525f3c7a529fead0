"""How model sessions are threaded: one intra-op thread each unless asked, and a pool that
sleeps between runs (never spins) when more are asked for."""

from __future__ import annotations

from lfr.assets import ModelSet
from lfr.inference.session import create_session, make_config

SPINNING = "session.intra_op.allow_spinning"


def test_default_session_runs_on_one_thread(model_set: ModelSet) -> None:
    session = create_session(model_set.read("detector"), make_config(None, None))
    options = session.get_session_options()
    assert options.intra_op_num_threads == 1
    assert options.inter_op_num_threads == 1


def test_a_pool_asked_for_does_not_spin(model_set: ModelSet) -> None:
    session = create_session(model_set.read("detector"), make_config(2, None))
    options = session.get_session_options()
    assert options.intra_op_num_threads == 2
    assert options.get_session_config_entry(SPINNING) == "0"

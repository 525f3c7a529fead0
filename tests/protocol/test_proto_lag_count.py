"""The hub counts every subscriber that fell behind, as it happens, over the hub's life (what
`lfr_socket_lagged_total` reads): a subscriber gone since still counts."""

from __future__ import annotations

from lfr.protocol.hub import EventHub


async def test_the_hub_counts_lag_episodes_of_every_subscriber_ever() -> None:
    hub = EventHub()
    slow = hub.subscribe("alerts", capacity=1)
    other = hub.subscribe("alerts", capacity=8)
    for seq in (1, 2, 3):  # slow: 2 and 3 missed, one episode
        hub.publish("alerts", {"alert_id": f"a{seq}"}, seq=seq)
    assert (slow.lag_episodes, other.lag_episodes, hub.lag_episodes) == (1, 0, 1)
    await slow.take()  # the episode ends when the backlog is taken
    for seq in (4, 5):
        hub.publish("alerts", {"alert_id": f"a{seq}"}, seq=seq)
    assert hub.lag_episodes == 2
    slow.close()
    assert hub.subscriber_count("alerts") == 1 and hub.lag_episodes == 2  # kept after it left

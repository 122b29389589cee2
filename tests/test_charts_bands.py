"""The session bands behind the time charts: one translucent rectangle per session, over the plot's
whole height, at the session's local times, behind the bars, alternately fainter and darker."""

from datetime import UTC, datetime, timedelta

import pandas as pd

from engagement.analysis import charts

ZONE = "Europe/Vienna"


def agenda(n: int) -> pd.DataFrame:
    starts = [datetime(2026, 4, 23, 7, tzinfo=UTC) + timedelta(hours=i) for i in range(n)]
    return pd.DataFrame({"starts_at": starts, "ends_at": [s + timedelta(minutes=45) for s in starts]})


def volume() -> pd.DataFrame:
    times = pd.to_datetime([datetime(2026, 4, 23, 7, 15, tzinfo=UTC)] * 2, utc=True)
    return pd.DataFrame({"time": times, "kind": ["original", "reply"], "posts": [3, 1]})


def test_every_session_has_a_band_over_the_whole_plot_behind_the_bars():
    figure = charts.volume_over_time(volume(), agenda(3), ZONE, 15)
    bands = figure.layout.shapes
    assert len(bands) == 3
    for band, hour in zip(bands, (9, 10, 11), strict=True):  # 07:00 UTC is 09:00 in Vienna in April
        assert (band.type, band.xref, band.yref, band.y0, band.y1) == ("rect", "x", "y domain", 0, 1)
        assert band.x0.hour == hour and band.x1 - band.x0 == timedelta(minutes=45)
        assert band.layer == "below" and band.line.width == 0 and band.fillcolor == charts.BAND
    assert [band.opacity for band in bands] == [*charts.BAND_OPACITIES, charts.BAND_OPACITIES[0]]
    assert len(figure.data) == len(charts.KIND_COLOURS)  # the bars are still there, in front


def test_the_per_minute_chart_shows_only_the_sessions_in_its_window():
    sessions = agenda(4)
    start, end = sessions["starts_at"][1], sessions["ends_at"][2]
    frame = pd.DataFrame({"time": pd.to_datetime([start], utc=True), "posts": [2]})
    figure = charts.per_minute(frame, sessions, ZONE, start, end)
    assert [band.x0.hour for band in figure.layout.shapes] == [10, 11]

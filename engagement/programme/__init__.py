"""Programmes from the systems organisers already keep them in: frab/pretalx ``schedule.json`` and
``schedule.xml``, Indico's timetable export and iCalendar, read into one model (``model``) and
written as the event's ``agenda.csv`` (``agenda``), which stays the one file organisers review."""

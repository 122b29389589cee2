"""What organisers already keep in their own systems, brought in without retyping: the programme
from frab/pretalx ``schedule.json`` and ``schedule.xml``, Indico's timetable export and iCalendar,
read into one model (``model``) and written as the event's ``agenda.csv`` (``agenda``); and the
registrations from Indico, Eventbrite, Cvent or any sheet, of which only counts per group are kept
(``registrations``)."""

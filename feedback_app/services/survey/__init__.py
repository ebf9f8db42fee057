"""The citizen's path: a counter's cached view (counters), questionnaires, the form and its checks (survey),
storing a response once (responses), QR codes and posters (qr), opening hours and rosters (schedule)."""

"""The analysts' web console at /console/: server-rendered pages over the hub's services,
German first, with database sessions, CSRF checks and a second factor for coordinators."""

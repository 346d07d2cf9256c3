"""The web side: HTTP pages and API, Socket.IO, security, the command line.

Only `app.py` wires these together; nothing imports `app.py`.
"""

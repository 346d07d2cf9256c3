"""The web side, one package per feature and the plumbing they share.

Features, each with its pages, API, socket events and commands, and an `init_app`:
`feeds`, `stories`, `desk`, `archive`, `accounts`, `sharing` (embeds, oEmbed, Atom); `home`
is the start page and `realtime` the live rooms viewers join. Shared: `sockets` (the one
Socket.IO server, a leaf),
`security` (who is asking, CSRF, CSP), `lookups` (what views need from the request),
`errors`, `settings`. Only `app.py` wires these together; nothing imports `app.py`.
"""

"""Stories: curated, ordered elements (pinned items, text blocks, links) over a feed.

Uses `aggregator` for items, the database and the event log; `aggregator` never
imports this package.
"""

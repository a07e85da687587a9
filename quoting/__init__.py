"""Proposal and quoting engine with scope-based pricing.

Data flows one way: request -> validated scope (`scope`) -> priced quote
(`pricing`, using `rules`) -> stored revision -> document or JSON.
"""

"""Ticket actions shared by every practice.

They sit above the engines so that one call does everything a change implies, in one
transaction: the ticket row, its journal, SLA recomputation, routing and outbox rows. A reader of
an action here sees every effect it has (no signals).

These actions are entry points (views, API, CLI) and building blocks of the practices' actions
at the same time, so each runs in ``transaction.atomic`` with a savepoint: a refused nested call
(an illegal transition inside a major incident cascade, say) rolls back only its own part and
leaves the caller's transaction usable.
"""

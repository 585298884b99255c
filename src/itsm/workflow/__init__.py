"""Ticket actions shared by every practice.

They sit above the engines so that one call does everything a change implies, in one
transaction: the ticket row, its journal, SLA recomputation, routing and outbox rows. A reader of
an action here sees every effect it has (no signals).
"""

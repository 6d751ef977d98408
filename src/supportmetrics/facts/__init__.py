"""Per-entity facts: the rows behind every metric."""

from supportmetrics.facts.tickets import TicketOptions, ticket_facts

__all__ = ["TicketOptions", "ticket_facts"]

"""Views of the agent workspace: parse, authorise, call an action, render (page or htmx partial)."""

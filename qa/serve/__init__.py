"""Serve: answers with citations, the command line's serving commands, the web page and its API."""

from qa.serve.answer import Answer, Hit, ask, compare

__all__ = ["Answer", "Hit", "ask", "compare"]

"""Benchmarks: build and query latency, scale (10k–1M clauses), embedding runtimes, the page's load test."""
